import { TABLE_RULES } from '../findings/registry.js';
import type { DetectorContext } from '../findings/table/tableReadings.js';
import { type Finding, bySeverity } from './findings.js';
import type { TableSummary } from './tableSummary.js';

/** analyze's findings: every table rule of the registry over one summary, the worst first. */
export function detectTableFindings(summary: TableSummary, context: DetectorContext = {}): Finding[] {
  const findings: Finding[] = [];
  for (const rule of TABLE_RULES) findings.push(...rule.detect({ summary, context, earlier: findings }));
  return findings.sort(bySeverity);
}
