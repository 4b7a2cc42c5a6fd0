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
  const match = /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo);
  if (!match) throw new CtdoctorError('bad-input', '/proc/meminfo has no MemTotal line');
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
