import { availableParallelism } from 'node:os';

export type ThreadPlan = { mode: 'single' } | { mode: 'pipeline' } | { mode: 'split'; parts: number };

const MAX_THREADS = 4;
/** Files smaller than this are never split, even when asked. */
export const PARALLEL_MIN_BYTES = 16 << 20;
/** Files smaller than this (~3M entries) are not split unless --threads asks. */
const DEFAULT_SPLIT_MIN_BYTES = 512 << 20;
/** Files smaller than this (~200k entries) are read on one thread unless --threads asks. */
const DEFAULT_PIPELINE_MIN_BYTES = 32 << 20;

/**
 * The plan for a saved, uncompressed dump read in full when --threads does not say. Splitting costs
 * a worker start and a merge of full summaries (~0.2 s): only for dumps that take seconds, with a
 * CPU left to the host. The pipeline merges nothing and pays off from ~200k entries.
 */
export function defaultThreadPlan(sizeBytes: number, pipelinable: boolean): ThreadPlan {
  const spare = availableParallelism() - 1;
  if (sizeBytes >= DEFAULT_SPLIT_MIN_BYTES && spare >= 2)
    return { mode: 'split', parts: Math.min(spare, MAX_THREADS) };
  if (sizeBytes >= DEFAULT_PIPELINE_MIN_BYTES && spare >= 1 && pipelinable) return { mode: 'pipeline' };
  return { mode: 'single' };
}

/** --threads N: 1, 2 (the pipeline when the engine runs) or more (parts merged). */
export function requestedThreadPlan(threads: number, pipelinable: boolean): ThreadPlan {
  const bounded = Math.max(1, Math.min(threads, MAX_THREADS));
  if (bounded === 1) return { mode: 'single' };
  return bounded === 2 && pipelinable ? { mode: 'pipeline' } : { mode: 'split', parts: bounded };
}
