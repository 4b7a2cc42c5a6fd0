import type { AnalysisRun } from '../core/analysis/analysisRun.js';
import type { DetectorContext } from '../core/findings/table/tableReadings.js';
import { refuseUnreadableTable } from '../core/analysis/tableInput.js';
import { type AnalysisReport, buildAnalysisReport } from '../core/reports/analysisReport.js';
import type { TableSource } from '../host/tableSource.js';
import { NO_ENTRY_READ_LIMIT_BYTES } from './tableConsumer.js';

/**
 * A finished pass over a table as the report the renderers take, or the one-line refusal when the
 * input held no table (an event log, garbage, nothing readable in its first part).
 */
export function readableTableReport(
  run: AnalysisRun,
  source: TableSource,
  options: { limit: number; filter?: string; context: DetectorContext },
): AnalysisReport {
  refuseUnreadableTable({
    description: source.description,
    counts: run.counts,
    abandoned: run.abandoned,
    abandonedAfterBytes: NO_ENTRY_READ_LIMIT_BYTES,
    saved: source.kind === 'file' || source.kind === 'stdin',
  });
  return buildAnalysisReport(run, source, options);
}
