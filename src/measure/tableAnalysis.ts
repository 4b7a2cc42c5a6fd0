import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type EntryPredicate, parseEntryFilter } from '../core/analysis/entryFilter.js';
import type { FieldName } from '../core/analysis/entryFields.js';
import { type AggregatorState, TableAggregator } from '../core/analysis/tableAggregator.js';
import { CtdoctorError } from '../core/errors.js';
import { EntryStreamParser, type ParseCounts } from '../core/table/entryStream.js';
import { TableEngine } from '../core/analysis/tableEngine.js';
import { tableEngineModule } from '../host/tableEngineModule.js';
import { type TableSource, lineAlignedRanges, openFileRange } from '../host/tableSource.js';

export interface AnalysisOptions {
  /** Keys counted exactly per top list before Space-Saving evicts. */
  capacity: number;
  groupBy?: FieldName[];
  filter?: string;
  /** Stop after this many entries (doctor on huge tables); undefined = all. */
  sampleEntries?: number;
  /** `typescript` forces the reference parser; by default the WebAssembly engine runs when it can. */
  engine?: AnalysisEngine;
  /**
   * Threads for a saved dump of 16 MB or more; by default only dumps of 512 MB or more are split,
   * one thread per CPU but one (at most 4).
   */
  threads?: number;
}

export interface AnalysisRun {
  aggregator: TableAggregator;
  engine: AnalysisEngine;
  counts: ParseCounts;
  /** Entries seen before the filter. */
  scanned: number;
  bytes: number;
  sampled: boolean;
  workers: number;
  durationMs: number;
}

const MAX_THREADS = 4;

/** Files smaller than this are never split, even when asked. */
const PARALLEL_MIN_BYTES = 16 << 20;
/** Files smaller than this (~3M entries) are not split unless --threads asks. */
const DEFAULT_PARALLEL_MIN_BYTES = 512 << 20;

export type ProgressListener = (bytes: number) => void;

export type AnalysisEngine = 'wasm' | 'typescript';

/**
 * Parser and aggregator for one stream. Without --filter or --group-by the WebAssembly engine takes
 * the lines it can (tcp/udp/icmp over IPv4 and IPv6) and hands the rest to the TypeScript parser;
 * its summary is merged in at the end.
 */
function consumer(options: AnalysisOptions) {
  const aggregator = new TableAggregator({ capacity: options.capacity, groupBy: options.groupBy });
  const predicate: EntryPredicate | null = options.filter ? parseEntryFilter(options.filter) : null;
  let parsed = 0;
  const parser = new EntryStreamParser((entry) => {
    parsed++;
    if (!predicate || predicate(entry)) aggregator.add(entry);
  });
  const eligible = !predicate && !options.groupBy?.length && options.engine !== 'typescript';
  const module = eligible ? tableEngineModule() : null;
  const engine = module ? new TableEngine(module, options.capacity, parser) : null;
  return {
    aggregator,
    engine: (engine ? 'wasm' : 'typescript') as AnalysisEngine,
    push: (chunk: Buffer) => (engine ? engine.push(chunk) : parser.push(chunk)),
    scanned: () => parsed + (engine?.entries ?? 0),
    end: (): ParseCounts => {
      engine?.finish();
      const counts = parser.end();
      if (!engine) return counts;
      aggregator.merge(engine.toState());
      return { ...counts, entries: counts.entries + engine.entries };
    },
  };
}

/** Parses and aggregates a byte stream as it arrives, overlapping the kernel's (or tool's) dump. */
export async function analyzeStream(
  stream: AsyncIterable<Buffer>,
  options: AnalysisOptions,
  onProgress?: ProgressListener,
): Promise<AnalysisRun> {
  const started = performance.now();
  const { aggregator, engine, push, scanned, end } = consumer(options);
  let bytes = 0;
  let sampled = false;
  try {
    for await (const chunk of stream) {
      push(chunk);
      bytes += chunk.length;
      onProgress?.(bytes);
      if (options.sampleEntries !== undefined && scanned() >= options.sampleEntries) {
        sampled = true;
        break; // ends the iteration: the source closes its file, thread or process
      }
    }
  } catch (error) {
    if (error instanceof CtdoctorError) throw error;
    throw new CtdoctorError('kernel', `reading the table failed: ${(error as Error).message}`);
  }
  const counts = end();
  return {
    aggregator,
    engine,
    counts,
    scanned: scanned(),
    bytes,
    sampled,
    workers: 1,
    durationMs: performance.now() - started,
  };
}

interface WorkerResult {
  state: AggregatorState;
  engine: AnalysisEngine;
  counts: ParseCounts;
  scanned: number;
  bytes: number;
}

/** Worker-thread body: one byte range of a file. */
export async function analyzeFileRange(
  path: string,
  start: number,
  end: number,
  options: AnalysisOptions,
): Promise<WorkerResult> {
  const run = await analyzeStream(openFileRange(path, start, end), options);
  return {
    state: run.aggregator.toState(),
    engine: run.engine,
    counts: run.counts,
    scanned: run.scanned,
    bytes: run.bytes,
  };
}

function runWorker(path: string, range: [number, number], options: AnalysisOptions): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../measure/tableAnalysisWorker.js', import.meta.url), {
      workerData: { path, start: range[0], end: range[1], options },
    });
    worker.once('message', (message: { result?: WorkerResult; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new CtdoctorError('kernel', message.error ?? 'analysis worker failed'));
    });
    worker.once('error', reject);
  });
}

/** Threads for a source: only a saved, uncompressed, large-enough dump read in full is split. */
function threadsFor(source: TableSource, options: AnalysisOptions): number {
  const splittable =
    source.kind === 'file' &&
    source.sizeBytes !== undefined &&
    source.sizeBytes >= PARALLEL_MIN_BYTES &&
    options.sampleEntries === undefined;
  if (!splittable) return 1;
  if (options.threads !== undefined) return Math.max(1, Math.min(options.threads, MAX_THREADS));
  // Starting a worker and merging two full summaries costs ~0.2 s, as much as the engine needs
  // for a million entries: by default only dumps that take seconds are split. One CPU is left to
  // the host, which may be the one in trouble.
  if (source.sizeBytes! < DEFAULT_PARALLEL_MIN_BYTES) return 1;
  return Math.max(1, Math.min(availableParallelism() - 1, MAX_THREADS));
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
  const threads = threadsFor(source, options);
  if (threads === 1) return analyzeStream(source.stream, options, onProgress);
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
  let { scanned, bytes } = mine;
  for (const result of results) {
    aggregator.merge(result.state);
    counts.entries += result.counts.entries;
    counts.malformed += result.counts.malformed;
    counts.malformedExample ??= result.counts.malformedExample;
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
    workers: parts,
    durationMs: performance.now() - started,
  };
}
