/**
 * Conntrack statistics counters, named once for every source.
 *
 * Canonical names are the ctnetlink attribute names that `conntrack -S` prints (CTA_STATS_*),
 * except `error`, which we call `icmp_error` as the procfs header does, because a bare "error"
 * reads like a tool failure at 3 a.m.
 *
 * /proc/net/stat/nf_conntrack must be parsed by header name: on kernels since 5.x position 2 is
 * `clashres` and position 8 `chainlength` where older kernels had `searched` and `delete_list`
 * (node_exporter, netdata and Telegraf still read by position and mislabel them).
 */
export const PROCFS_HEADER_TO_COUNTER: Readonly<Record<string, string>> = {
  clashres: 'clash_resolve',
  chainlength: 'chaintoolong',
  icmp_error: 'icmp_error',
};

export const NETLINK_FIELD_TO_COUNTER: Readonly<Record<string, string>> = {
  error: 'icmp_error',
};

/** Counters that mean a packet was lost or a new flow was refused. */
export const LOSS_COUNTERS = ['drop', 'early_drop', 'insert_failed'] as const;

/** Counters shown by status, in display order; absent ones are omitted (older kernels lack some). */
export const STATUS_COUNTERS = [
  'drop',
  'early_drop',
  'insert_failed',
  'invalid',
  'search_restart',
  'clash_resolve',
  'chaintoolong',
  'icmp_error',
  'found',
] as const;

export type CounterTotals = Record<string, number>;

export interface ConntrackStats {
  source: 'procfs' | 'netlink';
  /** Counter names present in this kernel's output, canonical spelling, in source order. */
  counterNames: string[];
  perCpu: CounterTotals[];
  /** Sum over CPUs of every counter (not `entries`, which repeats the namespace count on every row). */
  totals: CounterTotals;
  /** Namespace entry count when the source carries it (procfs `entries` column). */
  entries?: number;
}

/** Plain decimals at every size: String() turns 1e21 and above into exponent notation. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return String(rate);
  return rate >= 10 || Number.isInteger(rate) ? BigInt(Math.round(rate)).toString() : rate.toFixed(1);
}
