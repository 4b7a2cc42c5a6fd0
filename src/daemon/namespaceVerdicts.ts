import {
  DEFAULT_THRESHOLDS,
  type StatusThresholds,
  type Verdict,
  counterRates,
  judgeStatus,
} from '../core/status.js';
import type { NamespaceReading, ServeSample } from './serveSample.js';

export const VERDICT_VALUE: Readonly<Record<Verdict, number>> = { ok: 0, warn: 1, crit: 2 };

/** A reading's counters, or null when the namespace's could not be read ({} in the sample). */
function countersOf(reading: NamespaceReading | undefined) {
  return reading && Object.keys(reading.counters).length > 0 ? reading.counters : null;
}

/**
 * Each namespace's verdict by `status`'s rules (core/status.ts): usage against the thresholds, and
 * a loss counter rising since the previous sample. A namespace new in `after` is judged on usage alone.
 */
export function namespaceVerdicts(
  before: ServeSample | undefined,
  after: ServeSample,
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
): Map<number, Verdict> {
  const previous = new Map(before?.namespaces.map((reading) => [reading.inode, reading]));
  const seconds = before ? (after.takenAtMs - before.takenAtMs) / 1000 : 0;
  const verdicts = new Map<number, Verdict>();
  for (const reading of after.namespaces) {
    const counters = countersOf(reading);
    const earlier = countersOf(previous.get(reading.inode));
    const rates = counters && earlier ? counterRates(earlier, counters, seconds) : null;
    const usage = reading.max > 0 ? reading.entries / reading.max : 0;
    const judged = { count: reading.entries, max: reading.max, counters };
    verdicts.set(reading.inode, judgeStatus(judged, usage, rates, seconds, thresholds).verdict);
  }
  return verdicts;
}
