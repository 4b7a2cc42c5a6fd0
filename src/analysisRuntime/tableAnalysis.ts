import { Worker } from 'node:worker_threads';
import type {
  AnalysisEngine,
  AnalysisOptions,
  AnalysisRun,
  ProgressListener,
} from '../core/analysis/analysisRun.js';
import type { AggregatorState } from '../core/analysis/tableAggregator.js';
import { CtdoctorError } from '../core/errors.js';
import { type ParseCounts, addParseCounts } from '../core/table/entryStream.js';
import { tableEngineModule } from './tableEngineModule.js';
import { analyzeFilePipelined } from './pipelinedAnalysis.js';
import { dropOfferedParseThread } from './parseThread.js';
import { consumer, wasmEligible } from './tableConsumer.js';
import { PARALLEL_MIN_BYTES, type ThreadPlan, defaultThreadPlan, requestedThreadPlan } from './threadPlan.js';
import { type TableSource, lineAlignedRanges, openFileRange } from '../host/tableSource.js';

/** Parses and aggregates a byte stream as it arrives, overlapping the kernel's (or tool's) dump. */
/**
 * `mayAbandon`: the stream is the start of the input, so "no entry in the first 16 MiB" means the
 * input is no table. A later part of a split dump must read on: garbage there (a truncated write,
 * concatenated files) would otherwise drop the entries after it.
 */
export async function analyzeStream(
  stream: AsyncIterable<Buffer>,
  options: AnalysisOptions,
  onProgress?: ProgressListener,
  mayAbandon = true,
): Promise<AnalysisRun> {
  const started = performance.now();
  const analysis = consumer(options);
  const { push, scanned } = analysis;
  const sample = options.sampleEntries;
  let bytes = 0;
  let sampled = false;
  let abandoned = false;
  try {
    // Breaking out ends the iteration: the source closes its file, thread or process.
    for await (const chunk of stream) {
      if (sample !== undefined && scanned() >= sample) {
        sampled = true; // the sample is full and more input came
        break;
      }
      let used = chunk.length;
      if (sample === undefined) push(chunk);
      else used = pushSample(chunk, sample - scanned());
      bytes += used;
      onProgress?.(bytes);
      if (mayAbandon && analysis.unreadable(bytes)) {
        abandoned = true;
        break;
      }
      if (used < chunk.length) {
        sampled = true;
        break;
      }
    }
  } catch (error) {
    if (error instanceof CtdoctorError) throw error;
    throw new CtdoctorError('kernel', `reading the table failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return analysis.finish({ bytes, sampled, workers: 1, started, abandoned });

  /**
   * Pushes no more lines of `chunk` than could make the `room` entries left in the sample, again
   * until the sample is full or the chunk used: the sample holds exactly --sample entries. Returns
   * the bytes pushed.
   */
  function pushSample(chunk: Buffer, room: number): number {
    let offset = 0;
    while (offset < chunk.length && room > 0) {
      let cut = offset;
      for (let lines = 0; lines < room && cut < chunk.length; lines++) {
        const newline = chunk.indexOf(0x0a, cut);
        cut = newline < 0 ? chunk.length : newline + 1;
      }
      push(chunk.subarray(offset, cut));
      offset = cut;
      room = sample! - scanned();
    }
    return offset;
  }
}

interface WorkerResult {
  state: AggregatorState;
  engine: AnalysisEngine;
  counts: ParseCounts;
  scanned: number;
  bytes: number;
  abandoned: boolean;
}

/** Worker-thread body: one byte range of a file. */
export async function analyzeFileRange(
  path: string,
  start: number,
  end: number,
  options: AnalysisOptions,
): Promise<WorkerResult> {
  const run = await analyzeStream(openFileRange(path, start, end), options, undefined, start === 0);
  return {
    state: run.aggregator.toState(),
    engine: run.engine,
    counts: run.counts,
    scanned: run.scanned,
    bytes: run.bytes,
    abandoned: run.abandoned,
  };
}

function runWorker(path: string, range: [number, number], options: AnalysisOptions): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../analysisRuntime/tableAnalysisWorker.js', import.meta.url), {
      workerData: { path, start: range[0], end: range[1], options },
    });
    worker.once('message', (message: { result?: WorkerResult; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new CtdoctorError('kernel', message.error ?? 'analysis worker failed'));
    });
    worker.once('error', reject);
  });
}

/**
 * How many threads read a source, and how: only a saved, uncompressed dump read in full uses more
 * than one. Two threads form a pipeline (one parses, one counts: the same summary as one thread);
 * more split the dump into parts whose summaries are merged.
 */
function planThreads(source: TableSource, options: AnalysisOptions): ThreadPlan {
  const size = source.kind === 'file' && options.sampleEntries === undefined ? source.sizeBytes : undefined;
  if (size === undefined || size < PARALLEL_MIN_BYTES) return { mode: 'single' };
  const pipelinable = wasmEligible(options) && tableEngineModule() !== null;
  return options.threads === undefined
    ? defaultThreadPlan(size, pipelinable)
    : requestedThreadPlan(options.threads, pipelinable);
}

/**
 * A saved uncompressed dump is split on line boundaries: this thread reads the first part while
 * worker threads read the others, and the mergeable summaries are added up.
 */
export async function analyzeSource(
  source: TableSource,
  options: AnalysisOptions,
  onProgress?: ProgressListener,
): Promise<AnalysisRun> {
  const plan = planThreads(source, options);
  if (plan.mode !== 'pipeline') dropOfferedParseThread();
  if (plan.mode === 'single') return analyzeStream(source.stream, options, onProgress);
  if (plan.mode === 'pipeline')
    return analyzeFilePipelined(source.description, source.sizeBytes!, options, onProgress);
  const threads = plan.parts;
  const started = performance.now();
  const path = source.description;
  const [own, ...others] = await lineAlignedRanges(path, source.sizeBytes!, threads);
  const pending = others.map((range) => runWorker(path, range, options));
  // Progress is this thread's share, scaled: the parts are the same size.
  const parts = others.length + 1;
  const mine = await analyzeStream(openFileRange(path, own![0], own![1]), options, (bytes) =>
    onProgress?.(Math.min(bytes * parts, source.sizeBytes!)),
  );
  const results = await Promise.all(pending);
  const { aggregator, counts } = mine;
  let { scanned, bytes, abandoned } = mine;
  for (const result of results) {
    abandoned ||= result.abandoned;
    aggregator.merge(result.state);
    addParseCounts(counts, result.counts);
    scanned += result.scanned;
    bytes += result.bytes;
  }
  onProgress?.(bytes);
  return {
    aggregator,
    engine: mine.engine,
    counts,
    scanned,
    bytes,
    sampled: false,
    abandoned,
    workers: parts,
    durationMs: performance.now() - started,
  };
}
