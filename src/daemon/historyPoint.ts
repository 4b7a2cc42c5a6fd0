import { LOSS_COUNTERS } from '../core/counters.js';
import type { LossCounter } from './apiStatus.js';
import type { NamespaceReading, ServeSample } from './serveSample.js';

/** One namespace at one sample, as /api/history draws it: its size and its loss counters. */
export type HistoryReading = Pick<NamespaceReading, 'inode' | 'name' | 'entries' | 'max'> & {
  counters: Partial<Record<LossCounter, number>>;
};

/**
 * A sample as the history ring keeps it for an hour: only what /api/history reads. Whole samples
 * (every stat counter, the collectors' outcomes, workload identities) were ~18 KB of live heap each
 * at 50 namespaces, 13 of the daemon's 21 MB; and V8 grows the old generation to a multiple of what
 * lives in it, so RSS paid for them about three times over (docs/serve.md, Memory).
 */
export interface HistoryPoint {
  takenAtMs: number;
  namespaces: HistoryReading[];
}

export function historyPointOf(sample: ServeSample): HistoryPoint {
  return {
    takenAtMs: sample.takenAtMs,
    namespaces: sample.namespaces.map(({ inode, name, entries, max, counters }) => {
      const loss: Partial<Record<LossCounter, number>> = {};
      for (const counter of LOSS_COUNTERS)
        if (counters[counter] !== undefined) loss[counter] = counters[counter];
      return { inode, name, entries, max, counters: loss };
    }),
  };
}
