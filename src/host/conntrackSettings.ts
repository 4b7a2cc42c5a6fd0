import { notLoadedError, SYSCTL_DIR } from './conntrackSample.js';
import type { NetnsFiles } from './netnsFiles.js';

const PREFIX = 'nf_conntrack_';

export interface ConntrackSettings {
  count: number;
  max: number;
  buckets: number;
  expectMax?: number;
  acct?: number;
  timestamp?: number;
  helper?: number;
  /** Every *timeout* key by its short name (tcp_timeout_established, udp_timeout, ...), seconds. */
  timeouts: Record<string, number>;
  /** All numeric nf_conntrack_* keys by short name. */
  all: Record<string, number>;
}

/** Every nf_conntrack_* sysctl of the namespace in one read. */
export async function readConntrackSettings(files: NetnsFiles): Promise<ConntrackSettings> {
  const raw = await files.readSysctlDir(SYSCTL_DIR);
  const all: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(PREFIX)) continue;
    const number = Number(value);
    if (value !== '' && Number.isFinite(number)) all[name.slice(PREFIX.length)] = number;
  }
  if (all.max === undefined) throw notLoadedError();
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
