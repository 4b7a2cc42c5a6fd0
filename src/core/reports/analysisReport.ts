import type { Finding } from '../analysis/findings.js';
import { detectTableFindings } from '../analysis/tableDetectors.js';
import type { DetectorContext } from '../findings/table/tableReadings.js';
import { mostlyMalformed } from '../analysis/tableInput.js';
import { type TableSummary, summarizeTable } from '../analysis/tableSummary.js';
import type { AnalysisRun, TableSourceName } from '../analysis/analysisRun.js';

export interface AnalysisReport extends TableSummary {
  schema: 'ctdoctor.analyze/v1';
  source: TableSourceName;
  /**
   * Lines that were not valid entries: counted and skipped. `example` is the first, as `line N:
   * reason` (`line` and `reason` apart); `mostLines` when they outnumber the entries.
   */
  malformed: {
    count: number;
    example: string | null;
    line: number | null;
    reason: string | null;
    mostLines: boolean;
  };
  /** Entries whose protocol name was damaged (`cp      6 …`, a line cut inside it), read by its number. */
  repairedProtocolNames: number;
  /** Entries read before --filter; equals `entries` without a filter. */
  scanned: number;
  filter: string | null;
  /** True when the read stopped early (--sample): shares are of the sample. */
  sampled: boolean;
  /** Table size when known (live), for shares of the limit. */
  max: number | null;
  durationMs: number;
  /** `wasm` (the fast path, with TypeScript for lines it leaves) or `typescript` (--filter, --group-by). */
  engine: AnalysisRun['engine'];
  workers: number;
  findings: Finding[];
}

export function buildAnalysisReport(
  run: AnalysisRun,
  source: TableSourceName,
  options: { limit: number; filter?: string; context: DetectorContext },
): AnalysisReport {
  const summary = summarizeTable(run.aggregator, options.limit);
  return {
    schema: 'ctdoctor.analyze/v1',
    source: { kind: source.kind, description: source.description },
    ...summary,
    malformed: {
      count: run.counts.malformed,
      example: run.counts.malformedExample,
      line: run.counts.malformedFirst?.line ?? null,
      reason: run.counts.malformedFirst?.reason ?? null,
      mostLines: mostlyMalformed(run.counts),
    },
    repairedProtocolNames: run.counts.repairedProtocolNames,
    scanned: run.scanned,
    filter: options.filter ?? null,
    sampled: run.sampled,
    max: options.context.max ?? null,
    durationMs: Math.round(run.durationMs),
    engine: run.engine,
    workers: run.workers,
    findings: detectTableFindings(summary, options.context),
  };
}
