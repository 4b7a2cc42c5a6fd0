import { type ConntrackStats, type CounterTotals, LOSS_COUNTERS, formatRate } from './counters.js';
import type { CounterFinding, CounterFindingPlace } from './findings/doctor/counterFinding.js';
import { dnsInsertRaceFinding } from './findings/doctor/dnsRace.js';
import type { InvalidLogging } from './conntrackSettings.js';
import { invalidHeavyFinding } from './findings/doctor/invalidHeavy.js';
import { parseKernelRelease } from './kernelInfo.js';
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
  /** A file that refers to the namespace: its findings' commands reach it by nsenter --net=. */
  netnsPath?: string;
  /** The namespace's invalid-packet logging settings, for invalid-heavy's restore commands. */
  invalidLogging?: InvalidLogging;
}

/** Settings not read (doctor, which builds its own findings): the findings fall back to defaults. */
const LOGGING_UNREAD: InvalidLogging = { logInvalid: null, tcpBeLiberal: null };

/** The facts a status reading is judged with: the host's, and which namespace it is of. */
export function statusFactsOf(
  host: Pick<StatusFacts, 'kernel' | 'entrySize'>,
  netns: { inode: number; initial: boolean; name?: string | undefined; path: string },
  invalidLogging: InvalidLogging = LOGGING_UNREAD,
): StatusFacts {
  return {
    kernel: host.kernel,
    entrySize: host.entrySize,
    netns: { inode: netns.inode, initial: netns.initial, ...(netns.name ? { name: netns.name } : {}) },
    netnsPath: netns.path,
    invalidLogging,
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
  /**
   * What the counters alone show (invalid-heavy, dns-insert-race), as doctor words them. They do not
   * move the verdict, which is about the table's room: invalid packets are lost only where a
   * ruleset drops them, and an insert_failed rise already makes the verdict crit.
   */
  findings: CounterFinding[];
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

/** What the verdict is judged on: one reading of a table and its counters. */
export interface JudgedTable {
  count: number;
  max: number;
  /** null when no statistics source exists. */
  counters: CounterTotals | null;
  statsUnavailable?: string | undefined;
}

/**
 * The verdict and its reasons, worst first in the order an operator acts on them (status's rules:
 * `serve` judges every namespace of every sample with them too).
 */
export function judgeStatus(
  after: JudgedTable,
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
  const { counters } = after;
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
  const judged = {
    count: after.count,
    max: after.max,
    counters: after.stats?.totals ?? null,
    statsUnavailable: after.statsUnavailable,
  };
  const { verdict, reasons } = judgeStatus(judged, usage, rates, intervalSeconds, thresholds);
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
    findings: counterFindings(rates, after.stats?.totals ?? null, intervalSeconds, facts),
  };
}

/** The namespace as a status finding names and reaches it. */
function placeOf(facts: StatusFacts): CounterFindingPlace {
  const { inode, initial, name } = facts.netns;
  const label = initial ? 'the host namespace' : name ? `ip netns ${name}` : `netns ${inode}`;
  // Without the file (a caller that did not say), the command shows what to fill in, never a wrong target.
  return { inode, initial, label, name, path: facts.netnsPath ?? `<file of netns ${inode}>` };
}

function counterFindings(
  rates: CounterTotals | null,
  counters: CounterTotals | null,
  intervalSeconds: number,
  facts: StatusFacts,
): CounterFinding[] {
  const place = placeOf(facts);
  const doctorFlag = place.initial ? '' : ` --netns ${place.name ?? place.path}`;
  return [
    ...invalidHeavyFinding(rates, intervalSeconds, place, facts.invalidLogging ?? LOGGING_UNREAD),
    ...dnsInsertRaceFinding(
      { rates, counters, kernel: parseKernelRelease(facts.kernel), udp53Share: null, doctorFlag },
      place,
    ),
  ];
}

/** Kept here for the callers that format status numbers. */
export { formatRate };
