import type { PortShare } from '../core/plan/notrackResult.js';
import type { TableSource } from '../host/tableSource.js';
import { analyzeSource } from './tableAnalysis.js';

/** How many live entries match a filter, out of how many: the effect of exempting them. */
export async function measureShare(source: TableSource, filter: string): Promise<PortShare> {
  const run = await analyzeSource(source, { capacity: 1024, filter });
  return { entries: run.aggregator.entries, total: run.scanned };
}
