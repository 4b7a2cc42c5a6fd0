import { analyzeSource } from '../analysisRuntime/tableAnalysis.js';
import type { AnalysisRun } from '../core/analysis/analysisRun.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import { type TableSource, openLiveTable } from '../host/tableSource.js';
import { type Collected, collect } from './collector.js';

/**
 * The namespace's table, read and aggregated (at most `sampleEntries` entries); findings are the
 * caller's. Idle times are measured against the namespace's own established timeout: against the
 * kernel's 5 days, every entry of a namespace running 24 h would look idle for 4 days.
 */
export function conntrackTable(
  files: NetnsFiles,
  roots: HostRoots,
  netlinkAllowed: boolean,
  sampleEntries: number,
  establishedTimeoutSeconds: number | undefined,
): Promise<Collected<{ run: AnalysisRun; source: TableSource }>> {
  return collect('conntrack table', async () => {
    const source = await openLiveTable(files, roots, 'auto', netlinkAllowed);
    const run = await analyzeSource(source, { capacity: 32768, sampleEntries, establishedTimeoutSeconds });
    return { run, source };
  });
}
