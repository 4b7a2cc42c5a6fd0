import { type ConntrackStats, type CounterTotals, LOSS_COUNTERS } from './counters.js';
import { type EntrySize, tableMemoryBytes } from './memory.js';

export interface ConntrackSample {
  takenAtMs: number;
  count: number;
  max: number;
  buckets: number;
  /** undefined when no statistics source exists (procfs stat file absent and netlink not usable). */
  stats?: ConntrackStats;
  statsUnavailable?: string;
}

export interface NetnsIdentity {
  inode: number;
  initial: boolean;
  name?: string;
}

export interface StatusFacts {
  kernel: string;
  entrySize: EntrySize;
  netns: NetnsIdentity;
}

/** The facts a status reading is judged with: the host's, and which namespace it is of. */
export function statusFactsOf(
  host: Pick<StatusFacts, 'kernel' | 'entrySize'>,
  netns: { inode: number; initial: boolean; name?: string | undefined },
): StatusFacts {
  return {
    kernel: host.kernel,
    entrySize: host.entrySize,
    netns: { inode: netns.inode, initial: netns.initial, ...(netns.name ? { name: netns.name } : {}) },
  };
}

export interface StatusThresholds {
  warnUsage: number; // 0..1
  critUsage: number; // 0..1
}

export const DEFAULT_THRESHOLDS: StatusThresholds = { warnUsage: 0.8, critUsage: 0.95 };

export type Verdict = 'ok' | 'warn' | 'crit';

export interface StatusReport {
  schema: 'ctdoctor.status/v1';
  count: number;
  max: number;
  buckets: number;
  usage: number;
  /** Entries per bucket; each entry is hashed twice, so the mean chain length is 2 × this. */
  loadFactor: number;
  counters: CounterTotals | null;
  rates: CounterTotals | null;
  intervalSeconds: number;
  statsSource: 'procfs' | 'netlink' | null;
  statsUnavailable: string | null;
  memory: {
    entryBytes: number;
    entryBytesSource: EntrySize['source'];
    usedBytes: number;
    atMaxBytes: number;
  };
  netns: NetnsIdentity;
  kernel: string;
  verdict: Verdict;
  reasons: string[];
}

/** Per-second change of every counter between two samples; a counter that went down (reset) reads 0. */
export function counterRates(before: CounterTotals, after: CounterTotals, seconds: number): CounterTotals {
  const rates: CounterTotals = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? value);
    rates[name] = seconds > 0 && delta > 0 ? delta / seconds : 0;
  }
  return rates;
}

/** The verdict and its reasons, worst first in the order an operator acts on them. */
function judgeStatus(
  after: ConntrackSample,
  usage: number,
  rates: CounterTotals | null,
  intervalSeconds: number,
  thresholds: StatusThresholds,
): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  let verdict: Verdict = 'ok';
  const raise = (level: Verdict, reason: string) => {
    reasons.push(reason);
    if (level === 'crit' || (level === 'warn' && verdict === 'ok')) verdict = level;
  };

  const percent = (value: number) => `${(value * 100).toFixed(value >= 0.995 && value < 1 ? 1 : 0)}%`;
  if (usage >= thresholds.critUsage) {
    raise(
      'crit',
      `table ${percent(usage)} full (${after.count}/${after.max}), at or above crit ${percent(thresholds.critUsage)}`,
    );
  } else if (usage >= thresholds.warnUsage) {
    raise(
      'warn',
      `table ${percent(usage)} full (${after.count}/${after.max}), at or above warn ${percent(thresholds.warnUsage)}`,
    );
  }
  for (const name of rates ? LOSS_COUNTERS : []) {
    const rate = rates?.[name];
    if (rate !== undefined && rate > 0) {
      raise('crit', `${name} rising: ${formatRate(rate)}/s over the last ${intervalSeconds.toFixed(1)} s`);
    }
  }
  const counters = after.stats?.totals ?? null;
  if (after.statsUnavailable) reasons.push(`drop counters unavailable: ${after.statsUnavailable}`);
  if (after.count === 0 && (counters === null || Object.values(counters).every((value) => value === 0))) {
    reasons.push(
      'no entries: conntrack is not tracking anything in this namespace (no ruleset uses it yet?)',
    );
  }
  return { verdict, reasons };
}

/** One status reading from two samples: usage, rates, memory, and the verdict with its reasons. */
export function evaluateStatus(
  before: ConntrackSample,
  after: ConntrackSample,
  facts: StatusFacts,
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
): StatusReport {
  const intervalSeconds = Math.max(0, (after.takenAtMs - before.takenAtMs) / 1000);
  const usage = after.max > 0 ? after.count / after.max : 0;
  const rates =
    before.stats && after.stats
      ? counterRates(before.stats.totals, after.stats.totals, intervalSeconds)
      : null;
  const { verdict, reasons } = judgeStatus(after, usage, rates, intervalSeconds, thresholds);
  const entryBytes = facts.entrySize.bytes;
  return {
    schema: 'ctdoctor.status/v1',
    count: after.count,
    max: after.max,
    buckets: after.buckets,
    usage,
    loadFactor: after.buckets > 0 ? after.count / after.buckets : 0,
    counters: after.stats?.totals ?? null,
    rates,
    intervalSeconds,
    statsSource: after.stats?.source ?? null,
    statsUnavailable: after.statsUnavailable ?? null,
    memory: {
      entryBytes,
      entryBytesSource: facts.entrySize.source,
      usedBytes: tableMemoryBytes(after.count, after.buckets, entryBytes),
      atMaxBytes: tableMemoryBytes(after.max, after.buckets, entryBytes),
    },
    netns: facts.netns,
    kernel: facts.kernel,
    verdict,
    reasons,
  };
}

/** Plain decimals at every size: String() turns 1e21 and above into exponent notation. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return String(rate);
  return rate >= 10 || Number.isInteger(rate) ? BigInt(Math.round(rate)).toString() : rate.toFixed(1);
}
