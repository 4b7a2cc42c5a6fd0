import type { AnalysisReport } from '../core/reports/analysisReport.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import { openLiveTable } from '../host/tableSource.js';
import { analyzeSource } from './tableAnalysis.js';
import { readableTableReport } from './tableReport.js';

/**
 * `analyze --netns` on a live table without its CLI: the namespace's max and timeouts for the
 * detectors, its table by procfs (else netlink), the same engine and the same findings.
 */
export async function analyzeLiveTable(
  files: NetnsFiles,
  roots: HostRoots,
  options: { netlinkAllowed: boolean; capacity: number; top: number },
): Promise<AnalysisReport> {
  const settings = await readConntrackSettings(files);
  const source = await openLiveTable(files, roots, 'auto', options.netlinkAllowed);
  const run = await analyzeSource(source, {
    capacity: options.capacity,
    establishedTimeoutSeconds: settings.timeouts.tcp_timeout_established,
  });
  return readableTableReport(run, source, {
    limit: options.top,
    context: { max: settings.max, timeouts: settings.timeouts },
  });
}
