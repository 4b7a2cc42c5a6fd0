import type { ConntrackStats } from '../core/counters.js';
import { CtdoctorError } from '../core/errors.js';
import { netlinkPermissionError } from './netlinkPermission.js';
import { parseKernelUnsigned } from '../core/kernelNumber.js';
import { parseConntrackDashC, parseConntrackDashS } from '../core/netlinkStats.js';
import { parseStatFile } from '../core/statFile.js';
import type { ConntrackSample } from '../core/status.js';
import type { NetnsFiles } from './netnsFiles.js';

export type StatsSourceChoice = 'auto' | 'procfs' | 'netlink';

export const SYSCTL_DIR = 'sys/net/netfilter';
export const STAT_FILE = 'net/stat/nf_conntrack';

export interface SampleOptions {
  source: StatsSourceChoice;
  /** Netlink talks to the running kernel; it is wrong for a fixture tree or a foreign --proc-root. */
  netlinkAllowed: boolean;
}

/** One nf_conntrack sysctl: undefined when absent, a bad-input error when it is not a count. */
async function readSysctlCount(files: NetnsFiles, key: string): Promise<number | undefined> {
  const relative = `${SYSCTL_DIR}/${key}`;
  const text = await files.readProcText(relative);
  return text === undefined ? undefined : parseKernelUnsigned(files.pathOf(relative), text);
}

/** nf_conntrack_max is the one key every kernel with conntrack loaded has, in every namespace. */
export function notLoadedError(files: NetnsFiles): CtdoctorError {
  return new CtdoctorError(
    'not-loaded',
    `nf_conntrack is not loaded: ${files.pathOf(`${SYSCTL_DIR}/nf_conntrack_max`)} is absent (modprobe nf_conntrack, or nothing here uses conntrack)`,
  );
}

async function readNetlinkStats(files: NetnsFiles): Promise<ConntrackStats> {
  const result = await files.run('conntrack', ['-S']);
  if (result.exitCode !== 0) {
    throw (
      netlinkPermissionError(result.stderr, 'the counters') ??
      new CtdoctorError('kernel', `conntrack -S failed: ${result.stderr.trim().split('\n')[0]}`)
    );
  }
  return parseConntrackDashS(result.stdout);
}

async function readNetlinkCount(files: NetnsFiles): Promise<number> {
  const result = await files.run('conntrack', ['-C']);
  if (result.exitCode !== 0)
    throw new CtdoctorError('kernel', `conntrack -C failed: ${result.stderr.trim()}`);
  return parseConntrackDashC(result.stdout);
}

/** One reading of count, max, buckets and the per-CPU counters from the chosen source. */
export async function readConntrackSample(
  files: NetnsFiles,
  options: SampleOptions,
): Promise<ConntrackSample> {
  const takenAtMs = Date.now();
  const [max, buckets, sysctlCount] = await Promise.all([
    readSysctlCount(files, 'nf_conntrack_max'),
    readSysctlCount(files, 'nf_conntrack_buckets'),
    readSysctlCount(files, 'nf_conntrack_count'),
  ]);
  if (max === undefined) throw notLoadedError(files);

  let stats: ConntrackStats | undefined;
  let statsUnavailable: string | undefined;
  if (options.source !== 'netlink') {
    const text = await files.readProcText(STAT_FILE);
    if (text !== undefined) stats = parseStatFile(text);
    else if (options.source === 'procfs') {
      throw new CtdoctorError(
        'not-found',
        `${files.pathOf(STAT_FILE)} is absent (kernel built without CONFIG_NF_CONNTRACK_PROCFS): use --source netlink`,
      );
    }
  }
  if (!stats) {
    if (options.netlinkAllowed) stats = await readNetlinkStats(files);
    else statsUnavailable = `${files.pathOf(STAT_FILE)} is absent and netlink cannot read a --proc-root tree`;
  }

  let count = sysctlCount ?? stats?.entries;
  if (count === undefined && options.netlinkAllowed) count = await readNetlinkCount(files);
  if (count === undefined) throw notLoadedError(files);
  return { takenAtMs, count, max, buckets: buckets ?? 0, stats, statsUnavailable };
}
