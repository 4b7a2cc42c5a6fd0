import { type KernelVersion, kernelAtLeast } from '../kernelInfo.js';
import { BUCKET_BYTES } from '../memory.js';
import { LARGEST_ALLOCATED_BUCKETS, bucketsAsAllocated } from './settingBounds.js';

/**
 * The running kernel's own sizing rules (net/netfilter/nf_conntrack_core.c, nf_conntrack_init_start):
 * - since 5.15 (commit d532bcd0b269 "conntrack: sanitize table size default settings"): buckets =
 *   RAM / 16384 / sizeof(hlist_head) clamped to [1024, 262144] with jumps above 1 GiB and 4 GiB, and
 *   max = buckets (1:1). Each entry is hashed twice, so a full 1:1 table has chains of 2 on average.
 * - before 5.15: buckets = RAM / 16384 / 8 with 16384 above 1 GiB and 65536 above 4 GiB, max = 4 × buckets:
 *   the origin of the common "buckets = max / 4" advice.
 * - a `hashsize=N` module option makes the default max 8 × N on every version.
 */
export const ONE_TO_ONE_SINCE: readonly [number, number] = [5, 15];
const GIB = 1024 ** 3;
const PAGE_BUCKETS = 4096 / BUCKET_BYTES; // sizes are rounded up to whole pages of buckets

export interface KernelDefaults {
  buckets: number;
  max: number;
  ratio: number;
  rule: string;
}

export function kernelDefaults(
  memTotalBytes: number,
  version: KernelVersion,
  hashsizeOption?: number,
): KernelDefaults {
  const modern = kernelAtLeast(version, ...ONE_TO_ONE_SINCE);
  let buckets: number;
  if (hashsizeOption !== undefined) buckets = hashsizeOption;
  else if (modern) {
    buckets = Math.floor(memTotalBytes / 16384 / BUCKET_BYTES);
    if (memTotalBytes > 4 * GIB) buckets = 262144;
    else if (memTotalBytes > GIB) buckets = 65536;
    buckets = Math.max(1024, Math.ceil(buckets / PAGE_BUCKETS) * PAGE_BUCKETS);
  } else {
    buckets = Math.floor(memTotalBytes / 16384 / BUCKET_BYTES);
    if (memTotalBytes > 4 * GIB) buckets = 65536;
    else if (memTotalBytes > GIB) buckets = 16384;
    buckets = Math.max(32, buckets);
  }
  const ratio = hashsizeOption !== undefined ? 8 : modern ? 1 : 4;
  const rule =
    hashsizeOption !== undefined
      ? `hashsize=${hashsizeOption} module option: max = 8 × buckets`
      : modern
        ? `kernel ${version.release} (≥ 5.15): max = buckets (1:1)`
        : `kernel ${version.release} (< 5.15): max = 4 × buckets`;
  return { buckets, max: buckets * ratio, ratio, rule };
}

export function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

/**
 * The hash size the running kernel's own rule gives a table of `max` entries: 1:1 since 5.15, max / 4
 * before (see kernelDefaults), in whole pages of buckets as the kernel allocates them.
 */
export function bucketsForMax(version: KernelVersion, max: number): number {
  const modern = kernelAtLeast(version, ...ONE_TO_ONE_SINCE);
  return Math.min(bucketsAsAllocated(modern ? max : Math.ceil(max / 4)), LARGEST_ALLOCATED_BUCKETS);
}

/**
 * The smallest 2^k or 3 × 2^(k−1) at least `value`: a "power-of-two-friendly" size that overshoots
 * by at most a half (a bare power of two can double it), reads well (1,572,864 = 1.5 Mi) and, from
 * 512 up, is a whole number of pages of buckets at 1:1.
 */
export function friendlySizeAtLeast(value: number): number {
  const power = nextPowerOfTwo(Math.max(1, Math.ceil(value)));
  const threeQuarters = (power / 4) * 3;
  return power >= 4 && threeQuarters >= value ? threeQuarters : power;
}
