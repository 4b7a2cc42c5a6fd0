import type { LOSS_COUNTERS } from './counters.js';
import type { ConntrackSample } from './status.js';

export interface LossWindow {
  seconds: number;
  /** Increase of each loss counter over the window. */
  deltas: Record<(typeof LOSS_COUNTERS)[number], number>;
  count: number;
  max: number;
}

/** How many packets were lost (drop, early_drop, insert_failed) between two samples. */
export function lossBetween(before: ConntrackSample, after: ConntrackSample): LossWindow {
  const delta = (name: string) =>
    Math.max(0, (after.stats?.totals[name] ?? 0) - (before.stats?.totals[name] ?? 0));
  return {
    seconds: (after.takenAtMs - before.takenAtMs) / 1000,
    deltas: { drop: delta('drop'), early_drop: delta('early_drop'), insert_failed: delta('insert_failed') },
    count: after.count,
    max: after.max,
  };
}

/** Packets lost in a window (only its deltas are read: serve's alerts count them between two samples). */
export function lossTotal(window: Pick<LossWindow, 'deltas'>): number {
  return window.deltas.drop + window.deltas.early_drop + window.deltas.insert_failed;
}
