import { CtdoctorError } from './errors.js';
import { kernelUnsignedOrUndefined } from './kernelNumber.js';

/** Parses /proc/slabinfo and returns the object size of the `nf_conntrack` cache, if present. */
export function parseSlabEntrySize(
  slabinfo: string,
): { objectBytes: number; activeObjects: number; totalObjects: number } | undefined {
  for (const line of slabinfo.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // name <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables ...
    if (fields[0] !== 'nf_conntrack') continue;
    const [activeObjects, totalObjects, objectBytes] = fields.slice(1, 4).map(kernelUnsignedOrUndefined);
    if (
      activeObjects !== undefined &&
      totalObjects !== undefined &&
      objectBytes !== undefined &&
      objectBytes > 0
    ) {
      return { objectBytes, activeObjects, totalObjects };
    }
  }
  return undefined;
}

/** MemTotal from /proc/meminfo, in bytes. */
export function parseMemTotalBytes(meminfo: string): number {
  return parseMeminfoBytes(meminfo, 'MemTotal');
}

/** A `Name:  N kB` line of /proc/meminfo, in bytes. */
export function parseMeminfoBytes(meminfo: string, field: 'MemTotal' | 'MemAvailable'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(meminfo);
  if (!match) throw new CtdoctorError('bad-input', `/proc/meminfo has no ${field} line`);
  return Number(match[1]) * 1024;
}

export interface KernelVersion {
  major: number;
  minor: number;
  release: string;
}

export function parseKernelRelease(release: string): KernelVersion {
  const trimmed = release.trim();
  const match = /^(\d+)\.(\d+)/.exec(trimmed);
  if (!match) return { major: 0, minor: 0, release: trimmed };
  return { major: Number(match[1]), minor: Number(match[2]), release: trimmed };
}

export function kernelAtLeast(version: KernelVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/**
 * The kernel work that resolves the parallel A/AAAA insert race in conntrack (two UDP packets of one
 * socket racing to confirm the same tuple), oldest first, from the commits the kernel's own
 * selftest names (tools/testing/selftests/net/netfilter/udpclash.c) and the netfilter pull requests.
 */
export const CLASH_RESOLUTION_COMMITS = [
  { version: '4.19', commit: 'ed07d9a021df', subject: 'nf_conntrack: resolve clash for matching conntracks' },
  {
    version: '5.0',
    commit: '4e35c1cb9460',
    subject: 'nf_nat: skip nat clash resolution for same-origin entries',
  },
  { version: '5.6', commit: '6a757c07e51f', subject: 'conntrack: allow insertion of clashing entries' },
  { version: '5.10', commit: 'bc92470413f3', subject: 'conntrack: add clash resolution stat counter' },
] as const;

/**
 * Whether this kernel resolves the clash itself, in words. The `clash_resolve` counter (procfs
 * `clashres`, netlink CTA_STATS_CLASH_RESOLVE) is the better witness than the version: it came with
 * bc92470413f3 in 5.10, after all the fixes, and distributions backport it (RHEL's kABI carries it).
 */
export function clashResolutionOf(kernel: KernelVersion, clashResolvePresent: boolean): string {
  if (clashResolvePresent)
    return `kernel ${kernel.release} counts clash_resolve, so it carries the clash resolution (6a757c07e51f, 5.6, even inserts clashing UDP entries NATed to different backends): insert_failed that still rises is a clash it could not resolve, or not the DNS race at all`;
  if (kernelAtLeast(kernel, 5, 6))
    return `kernel ${kernel.release} should resolve the clash (6a757c07e51f, 5.6), but its counters show no clash_resolve (a source without it, or a kernel before 5.10)`;
  if (kernelAtLeast(kernel, 4, 19))
    return `kernel ${kernel.release} resolves only clashes of identical entries (ed07d9a021df, 4.19): a clash between entries NATed to different backends (a DNS service with several endpoints) still drops a query until 5.6 (6a757c07e51f)`;
  return `kernel ${kernel.release} resolves no clash between racing identical queries: ed07d9a021df (4.19) and 6a757c07e51f (5.6) fix it`;
}
