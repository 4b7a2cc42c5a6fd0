import { BUCKET_BYTES } from '../memory.js';

/**
 * What the kernel accepts for the settings ctdoctor writes, and where accepting is not enough
 * because the value would hurt. Checked before a plan is made, so a refused value never reaches
 * the kernel, a sysctl.d file or the journal.
 */
const INT_MAX = 2_147_483_647;

/**
 * nf_conntrack_max is an int sysctl with an INT_MAX ceiling (seen here on 6.18: 2147483647 is
 * taken, 2147483648 is EINVAL).
 */
export const MAX_ENTRIES_LIMIT = INT_MAX;

/**
 * nf_ct_alloc_hashtable (net/netfilter/nf_conntrack_core.c) refuses more than
 * INT_MAX / sizeof(struct hlist_nulls_head) buckets.
 */
export const BUCKETS_LIMIT = Math.floor(INT_MAX / BUCKET_BYTES);

/**
 * The kernel rounds the hash up to whole pages of buckets (seen here: 3 → 512, 262145 → 262656,
 * 0 is EINVAL), so a plan names the size the kernel will really make. 4 KiB pages (x86_64).
 */
export const BUCKETS_PER_PAGE = 4096 / BUCKET_BYTES;

/** The biggest hash a write can ask for and read back unchanged: whole pages, within the limit. */
export const LARGEST_ALLOCATED_BUCKETS = Math.floor(BUCKETS_LIMIT / BUCKETS_PER_PAGE) * BUCKETS_PER_PAGE;

/**
 * Timeouts are written through proc_dointvec_jiffies, which refuses seconds above INT_MAX / HZ;
 * HZ is 100–1000 depending on the build (250 here), so INT_MAX / 1000 is safe on every kernel
 * (~24.8 days; the longest default, tcp_timeout_established, is 5 days).
 */
export const TIMEOUT_SECONDS_LIMIT = Math.floor(INT_MAX / 1000);

/**
 * The kernel takes 0 and even negative timeouts (seen here: -5 is accepted), which expire every
 * entry of that state at once: replies then arrive as new or invalid flows. One second is the floor.
 */
export const TIMEOUT_SECONDS_MIN = 1;

/** Why `value` cannot be nf_conntrack_max, or null. */
export function maxEntriesRefusal(value: number): string | null {
  if (!Number.isInteger(value) || value < 1)
    return 'nf_conntrack_max must be a whole number of entries from 1 (0 meant "unlimited" on old kernels; new ones reject it)';
  if (value > MAX_ENTRIES_LIMIT)
    return `nf_conntrack_max ${value} is above the kernel's limit ${MAX_ENTRIES_LIMIT} (a signed 32-bit value)`;
  return null;
}

/** Why `value` cannot be nf_conntrack_buckets, or null. */
export function bucketsRefusal(value: number): string | null {
  if (!Number.isInteger(value) || value < 1)
    return 'nf_conntrack_buckets must be a whole number of buckets from 1';
  if (value > BUCKETS_LIMIT)
    return `nf_conntrack_buckets ${value} is above the kernel's limit ${BUCKETS_LIMIT} (INT_MAX / ${BUCKET_BYTES} B per bucket)`;
  return null;
}

/** The hash size the kernel makes when asked for `buckets`. */
export function bucketsAsAllocated(buckets: number): number {
  return Math.ceil(buckets / BUCKETS_PER_PAGE) * BUCKETS_PER_PAGE;
}

/** Why `seconds` cannot be a conntrack timeout, or null. */
export function timeoutRefusal(name: string, seconds: number): string | null {
  if (!Number.isInteger(seconds) || seconds < TIMEOUT_SECONDS_MIN)
    return `${name}=${seconds}: a timeout below ${TIMEOUT_SECONDS_MIN} s expires every entry in that state at once (replies would arrive as new or invalid flows)`;
  if (seconds > TIMEOUT_SECONDS_LIMIT)
    return `${name}=${seconds}: above ${TIMEOUT_SECONDS_LIMIT} s, the most every kernel accepts (INT_MAX jiffies at HZ=1000, ~24.8 days)`;
  return null;
}
