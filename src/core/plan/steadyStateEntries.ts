import { FLOW_CLASSES, type FlowClassName, type FlowProtocol, heldSeconds } from './flowClasses.js';
import { MAX_ENTRIES_LIMIT } from './settingBounds.js';
import { friendlySizeAtLeast } from './tableSizing.js';
import { KERNEL_DEFAULT_TIMEOUTS } from './timeoutDefaults.js';

/** One class of the load: how many flows start per second and how long each lives. */
export interface ClassLoad {
  name: FlowClassName;
  ratePerSecond: number;
  lifeSeconds: number;
  /** given: on the command line; default: the class's; measured: from the live table. */
  lifeSource: 'given' | 'default' | 'measured';
  /** --from-live: this class's entries in the table at the end of the window. */
  observedEntries?: number;
}

export interface ClassRow {
  class: FlowClassName;
  protocol: FlowProtocol;
  ratePerSecond: number;
  lifeSeconds: number;
  lifeSource: ClassLoad['lifeSource'];
  /** The timeout that holds the entry after the flow, with the value this namespace runs with. */
  finalTimeout: { name: string; seconds: number };
  heldSeconds: number;
  /** Little's law: ratePerSecond × heldSeconds. */
  entries: number;
  /** Of the predicted total. */
  share: number;
  observedEntries?: number;
}

/** The timeout of `name` in this namespace, the kernel default when it was not readable. */
export function timeoutLookup(timeouts: Readonly<Record<string, number>>): (name: string) => number {
  return (name) => timeouts[name] ?? KERNEL_DEFAULT_TIMEOUTS[name] ?? 0;
}

/**
 * Little's law per class (L = λW: the mean number in a system is the arrival rate times the mean
 * time spent in it): entries = new flows per second × seconds each entry is held. It holds for the
 * steady state of any arrival pattern, so it says nothing of peaks (hence the headroom).
 */
export function classRows(load: ClassLoad[], timeoutSeconds: (name: string) => number): ClassRow[] {
  const rows = load.map((item) => {
    const flowClass = FLOW_CLASSES[item.name];
    const held = heldSeconds(flowClass, item.lifeSeconds, timeoutSeconds);
    return {
      class: item.name,
      protocol: flowClass.protocol,
      ratePerSecond: item.ratePerSecond,
      lifeSeconds: item.lifeSeconds,
      lifeSource: item.lifeSource,
      finalTimeout: { name: flowClass.finalTimeout, seconds: timeoutSeconds(flowClass.finalTimeout) },
      heldSeconds: held,
      entries: item.ratePerSecond * held,
      share: 0,
      ...(item.observedEntries === undefined ? {} : { observedEntries: item.observedEntries }),
    };
  });
  const total = totalEntries(rows);
  for (const row of rows) row.share = total > 0 ? row.entries / total : 0;
  return rows;
}

export function totalEntries(rows: readonly { entries: number }[]): number {
  return rows.reduce((sum, row) => sum + row.entries, 0);
}

/**
 * An entry that has expired still counts in nf_conntrack_count (and against the max) until the GC
 * worker's next pass reaps it (or a lookup or dump walks over it). The worker reschedules itself at
 * the mean remaining timeout of what it saw, at most GC_SCAN_INTERVAL_MAX = 60 s
 * (net/netfilter/nf_conntrack_core.c). Seen here on 6.18 with udp_timeout 5 and 200 queries/s: the
 * count climbed to 5× the live entries for 31 s before the first pass, then passes came ~18 s apart.
 */
export const GC_SCAN_INTERVAL_MAX_SECONDS = 60;

/** The most the count can read: the live entries plus every expiry of one GC interval at most. */
export function countUpToEntries(liveEntries: number, ratePerSecond: number): number {
  return liveEntries + ratePerSecond * GC_SCAN_INTERVAL_MAX_SECONDS;
}

/**
 * The smallest max recommended: the kernel's smallest default hash (1024 buckets). A max costs no
 * memory until entries use it, so a lower one (a load NOTRACK removes entirely) saves nothing.
 */
export const MIN_RECOMMENDED_MAX = 1024;

/**
 * The max for a load: the live entries × headroom, or the count's GC-interval peak when that is
 * higher (short timeouts), power-of-two-friendly and within the kernel's limit.
 */
export function recommendedMax(liveEntries: number, ratePerSecond: number, headroom: number): number {
  const needed = Math.max(liveEntries * headroom, countUpToEntries(liveEntries, ratePerSecond));
  return Math.min(friendlySizeAtLeast(Math.max(MIN_RECOMMENDED_MAX, needed)), MAX_ENTRIES_LIMIT);
}

export function totalRate(load: readonly { ratePerSecond: number }[]): number {
  return load.reduce((sum, item) => sum + item.ratePerSecond, 0);
}
