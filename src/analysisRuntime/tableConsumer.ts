import { type EntryPredicate, parseEntryFilter } from '../core/analysis/entryFilter.js';
import { TableAggregator } from '../core/analysis/tableAggregator.js';
import { TableEngine } from '../core/analysis/tableEngine.js';
import { EntryStreamParser, type ParseCounts } from '../core/table/entryStream.js';
import { tableEngineModule } from './tableEngineModule.js';
import type { AnalysisEngine, AnalysisOptions, AnalysisRun } from '../core/analysis/analysisRun.js';

/**
 * A table's first line is an entry: when this much has been read without one (random bytes, a
 * file of NULs with no newline, /dev/zero), the read stops, so that garbage of any size costs the
 * same bounded time and memory, and the input is refused as not a table.
 */
export const NO_ENTRY_READ_LIMIT_BYTES = 16 << 20;

/** --filter and --group-by need every entry's fields: the reference parser does those runs. */
export function wasmEligible(options: AnalysisOptions): boolean {
  return !options.filter && !options.groupBy?.length && options.engine !== 'typescript';
}

/**
 * Parser and aggregator for one stream. Without --filter or --group-by the WebAssembly engine takes
 * the lines it can (tcp/udp/icmp over IPv4 and IPv6) and hands the rest to the TypeScript parser;
 * its summary is merged in at the end.
 */
export function consumer(options: AnalysisOptions) {
  const aggregator = new TableAggregator({
    capacity: options.capacity,
    groupBy: options.groupBy,
    establishedTimeoutSeconds: options.establishedTimeoutSeconds,
  });
  const predicate: EntryPredicate | null = options.filter ? parseEntryFilter(options.filter) : null;
  let parsed = 0;
  const parser = new EntryStreamParser((entry) => {
    parsed++;
    if (!predicate || predicate(entry)) aggregator.add(entry);
  });
  const module = wasmEligible(options) ? tableEngineModule() : null;
  const engine = module ? new TableEngine(module, options, parser) : null;
  const engineName: AnalysisEngine = engine ? 'wasm' : 'typescript';
  const scanned = () => parsed + (engine?.entries ?? 0);
  /** Lines a parse thread read for this engine (pipelinedAnalysis.ts). */
  let otherLines = 0;
  const end = (): ParseCounts => {
    engine?.finish();
    const counts = parser.end();
    if (!engine) return counts;
    aggregator.merge(engine.toState());
    return { ...counts, entries: counts.entries + engine.entries, lines: engine.lines + otherLines };
  };
  return {
    aggregator,
    engine: engineName,
    tableEngine: engine,
    fallback: parser,
    push: (chunk: Buffer) => (engine ? engine.push(chunk) : parser.push(chunk)),
    scanned,
    /** Nothing read as an entry in the first NO_ENTRY_READ_LIMIT_BYTES: stop reading. */
    unreadable: (bytes: number) => bytes >= NO_ENTRY_READ_LIMIT_BYTES && scanned() === 0,
    linesReadElsewhere: (lines: number) => {
      otherLines = lines;
    },
    /** Ends the input and reports the run. */
    finish: (run: {
      bytes: number;
      sampled: boolean;
      workers: number;
      started: number;
      abandoned?: boolean;
    }): AnalysisRun => {
      const counts = end();
      return {
        aggregator,
        engine: engineName,
        counts,
        scanned: scanned(),
        bytes: run.bytes,
        sampled: run.sampled,
        abandoned: run.abandoned ?? false,
        workers: run.workers,
        durationMs: performance.now() - run.started,
      };
    },
  };
}
