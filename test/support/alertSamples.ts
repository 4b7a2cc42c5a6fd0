import type {
  AlertDriftEvent,
  AlertNamespaceReading,
  AlertSample,
} from '../../src/core/alerts/alertSample.js';

export const WEB = 4026532001;
export const IDLE = 4026532002;

/** A namespace's reading with healthy defaults: 10 % full, no loss so far. */
export function reading(overrides: Partial<AlertNamespaceReading> = {}): AlertNamespaceReading {
  return {
    inode: WEB,
    initial: false,
    name: 'web',
    entries: 100,
    max: 1000,
    counters: { drop: 0, early_drop: 0, insert_failed: 0 },
    tableFullMessages: 0,
    ...overrides,
  };
}

/** A sample `seconds` after time 0 (the daemon's clock is epoch milliseconds). */
export function sampleAt(
  seconds: number,
  namespaces: AlertNamespaceReading[],
  drift: AlertDriftEvent[] = [],
): AlertSample {
  return { takenAtMs: 1_800_000_000_000 + seconds * 1000, namespaces, drift };
}
