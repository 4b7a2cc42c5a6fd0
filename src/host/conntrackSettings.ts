import { parseKernelUnsigned } from '../core/kernelNumber.js';
import { notLoadedError, SYSCTL_DIR } from './conntrackSample.js';
import type { NetnsFiles } from './netnsFiles.js';
import type { ConntrackSettings } from '../core/conntrackSettings.js';

const PREFIX = 'nf_conntrack_';

const COUNT_KEYS = new Set(['count', 'max', 'buckets', 'expect_max']);

/** What the key's number is, for the message when it is not one. */
function meaningOf(short: string): string {
  if (short.includes('timeout')) return 'a number of seconds';
  return COUNT_KEYS.has(short) ? 'a count' : 'a number';
}

/** Every nf_conntrack_* sysctl of the namespace in one read. */
export async function readConntrackSettings(files: NetnsFiles): Promise<ConntrackSettings> {
  const raw = await files.readSysctlDir(SYSCTL_DIR);
  const all: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(PREFIX)) continue;
    const short = name.slice(PREFIX.length);
    all[short] = parseKernelUnsigned(files.pathOf(`${SYSCTL_DIR}/${name}`), value, meaningOf(short));
  }
  if (all.max === undefined) throw notLoadedError(files);
  const timeouts = Object.fromEntries(Object.entries(all).filter(([name]) => name.includes('timeout')));
  return {
    count: all.count ?? 0,
    max: all.max,
    buckets: all.buckets ?? 0,
    expectMax: all.expect_max,
    acct: all.acct,
    timestamp: all.timestamp,
    helper: all.helper,
    timeouts,
    all,
  };
}
