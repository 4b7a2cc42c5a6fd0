import type { ConntrackStats } from '../core/counters.js';
import { CtdoctorError } from '../core/errors.js';
import { netlinkPermissionError } from './netlinkPermission.js';
import { parseKernelUnsigned } from '../core/kernelNumber.js';
import { parseConntrackDashC, parseConntrackDashS } from '../core/netlinkStats.js';
import { parseStatFile } from '../core/statFile.js';
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

/** The per-CPU counters of /proc/net/stat/nf_conntrack, undefined when the kernel has no such file. */
export async function readStatFile(files: NetnsFiles): Promise<ConntrackStats | undefined> {
  const text = await files.readProcText(STAT_FILE);
  return text === undefined ? undefined : parseStatFile(text);
}

export interface TableSize {
  max: number;
  buckets: number;
  /** undefined on kernels without nf_conntrack_count in this namespace (the counters then say). */
  count: number | undefined;
}

/** nf_conntrack_max, _buckets and _count; not-loaded when there is no nf_conntrack_max. */
export async function readTableSize(files: NetnsFiles): Promise<TableSize> {
  const [max, buckets, count] = await Promise.all([
    readSysctlCount(files, 'nf_conntrack_max'),
    readSysctlCount(files, 'nf_conntrack_buckets'),
    readSysctlCount(files, 'nf_conntrack_count'),
  ]);
  if (max === undefined) throw notLoadedError(files);
  return { max, buckets: buckets ?? 0, count };
}

export interface StatCounters {
  stats?: ConntrackStats;
  /** Why there are no counters, when neither the stat file nor netlink can give them. */
  statsUnavailable?: string;
}

/** The per-CPU counters from the stat file or, when it is absent or not chosen, `conntrack -S`. */
export async function readStatCounters(files: NetnsFiles, options: SampleOptions): Promise<StatCounters> {
  if (options.source !== 'netlink') {
    const stats = await readStatFile(files);
    if (stats) return { stats };
    if (options.source === 'procfs') {
      throw new CtdoctorError(
        'not-found',
        `${files.pathOf(STAT_FILE)} is absent (kernel built without CONFIG_NF_CONNTRACK_PROCFS): use --source netlink`,
      );
    }
  }
  if (options.netlinkAllowed) return { stats: await readNetlinkStats(files) };
  return {
    statsUnavailable: `${files.pathOf(STAT_FILE)} is absent and netlink cannot read a --proc-root tree`,
  };
}

/** The entry count when no nf_conntrack_count sysctl gives it: the counters' own, else `conntrack -C`. */
export async function readFallbackCount(
  files: NetnsFiles,
  counters: StatCounters,
  options: SampleOptions,
): Promise<number> {
  const count =
    counters.stats?.entries ?? (options.netlinkAllowed ? await readNetlinkCount(files) : undefined);
  if (count === undefined) throw notLoadedError(files);
  return count;
}
