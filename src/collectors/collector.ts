import { type FailureReason, failureReason } from '../host/errnoReason.js';

/**
 * Why a collector has no data. A reading that is not there is an answer, not a crash (node_exporter
 * treats a missing file as "no data"): the caller decides what the absence means.
 */
export type CollectFailure = FailureReason;

/** One collector's reading: its data, or why there is none; and how long it took either way. */
export type Collected<T> =
  | { collector: string; ok: true; data: T; durationMs: number }
  | {
      collector: string;
      ok: false;
      reason: CollectFailure;
      message: string;
      /** The error itself, for a caller that stops on it (`required`) and for --debug. */
      cause: unknown;
      durationMs: number;
    };

/** Times one read and turns its failure into a reason. `read` must not sleep or judge what it reads. */
export async function collect<T>(collector: string, read: () => Promise<T>): Promise<Collected<T>> {
  const started = performance.now();
  try {
    const data = await read();
    return { collector, ok: true, data, durationMs: performance.now() - started };
  } catch (error) {
    return {
      collector,
      ok: false,
      reason: failureReason(error),
      message: error instanceof Error ? error.message : String(error),
      cause: error,
      durationMs: performance.now() - started,
    };
  }
}

/** The data of a reading the command cannot do without: its failure is the command's, unchanged. */
export function required<T>(collected: Collected<T>): T {
  if (collected.ok) return collected.data;
  throw collected.cause;
}

/** The data, or `fallback` when there is none (a reading the command can do without). */
export function dataOr<T, F>(collected: Collected<T>, fallback: F): T | F {
  return collected.ok ? collected.data : fallback;
}
