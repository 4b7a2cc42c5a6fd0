import type { DriftEvent } from '../settingsDrift.js';

/**
 * What the alert rules read of one `serve` sample. The daemon's ServeSample (src/daemon/serveSample.ts)
 * is assignable to it as is: the pure layer names only the fields it uses, and cannot import the
 * daemon's types (imports point down the layers).
 */
export interface AlertNamespaceReading {
  inode: number;
  initial: boolean;
  name: string | undefined;
  entries: number;
  max: number;
  /** Kernel counters summed over CPUs, canonical names (core/counters.ts). */
  counters: Readonly<Record<string, number>>;
  /** "table full, dropping packet" messages attributed to the namespace so far (a counter). */
  tableFullMessages: number;
}

/** The alerts read drift events as serve's sampler reports them. */
export type AlertDriftEvent = DriftEvent;

export interface AlertSample {
  takenAtMs: number;
  namespaces: readonly AlertNamespaceReading[];
  drift: readonly AlertDriftEvent[];
}
