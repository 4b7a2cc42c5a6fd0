import type { LOSS_COUNTERS } from './counters.js';

/** Packets lost over a window of time, read from two samples of the loss counters. */
export interface LossWindow {
  seconds: number;
  /** Increase of each loss counter over the window. */
  deltas: Record<(typeof LOSS_COUNTERS)[number], number>;
  count: number;
  max: number;
}
