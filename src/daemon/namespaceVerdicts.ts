import type { CounterTotals } from '../core/counters.js';
import {
  DEFAULT_THRESHOLDS,
  type StatusThresholds,
  type Verdict,
  counterRates,
  judgeStatus,
  tableUsage,
} from '../core/status.js';
import type { NamespaceReading, ServeSample } from './serveSample.js';

export const VERDICT_VALUE: Readonly<Record<Verdict, number>> = { ok: 0, warn: 1, crit: 2 };

const NO_COUNTERS = 'the stat file and netlink could not be read for this namespace';

/** One namespace at one sample as `status` judges it (core/status.ts). */
export interface NamespaceJudgement {
  usage: number;
  /** Per second since `before`; null on a namespace's first sample or without counters. */
  rates: CounterTotals | null;
  verdict: Verdict;
  reasons: string[];
}

function hasCounters(reading: NamespaceReading): boolean {
  return Object.keys(reading.counters).length > 0;
}

/**
 * Usage against the thresholds, and a loss counter rising since the namespace's reading `seconds`
 * before; a namespace without one is judged on usage alone. /metrics' verdict gauge and
 * /api/status both come from here, so the two cannot disagree.
 */
export function judgeNamespace(
  reading: NamespaceReading,
  before: NamespaceReading | undefined,
  seconds: number,
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
): NamespaceJudgement {
  const usage = tableUsage(reading.entries, reading.max);
  const counted = hasCounters(reading);
  const rates =
    before && counted && hasCounters(before) && seconds > 0
      ? counterRates(before.counters, reading.counters, seconds)
      : null;
  const judged = {
    count: reading.entries,
    max: reading.max,
    counters: counted ? reading.counters : null,
    statsUnavailable: counted ? undefined : NO_COUNTERS,
  };
  return { usage, rates, ...judgeStatus(judged, usage, rates, seconds, thresholds) };
}

/** Every namespace's verdict at `after`, its rates taken since `before`. */
export function namespaceVerdicts(
  before: ServeSample | undefined,
  after: ServeSample,
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
): Map<number, Verdict> {
  const previous = new Map(before?.namespaces.map((reading) => [reading.inode, reading]));
  const seconds = before ? (after.takenAtMs - before.takenAtMs) / 1000 : 0;
  return new Map(
    after.namespaces.map((reading) => [
      reading.inode,
      judgeNamespace(reading, previous.get(reading.inode), seconds, thresholds).verdict,
    ]),
  );
}
