import type { Severity } from '../../analysis/findings.js';
import { DEFAULT_THRESHOLDS } from '../../status.js';
import { asPercent } from '../findingKind.js';
import type { DetectorContext } from './tableReadings.js';

/**
 * How a table pattern's share decides its severity. A pattern holding half the table is critical
 * only while the table is under pressure: at the usage where `status` starts warning, or when the
 * limit is unknown (a saved dump). A fifth of the table is worth a warning.
 */
export const TABLE_SEVERITY = {
  criticalShare: 0.5,
  pressureUsage: DEFAULT_THRESHOLDS.warnUsage,
  warningShare: 0.2,
} as const;

export function severityFor(
  share: number,
  context: DetectorContext,
  entries: number,
  floor: Severity = 'info',
): Severity {
  const pressured = context.max === undefined || entries / context.max >= TABLE_SEVERITY.pressureUsage;
  if (share >= TABLE_SEVERITY.criticalShare && pressured) return 'crit';
  if (share >= TABLE_SEVERITY.warningShare || floor === 'warn') return 'warn';
  return floor;
}

/** severityFor in words, for the registry. */
export function severityText(floor: Severity = 'info'): string {
  const critical = `crit when it holds ≥ ${asPercent(TABLE_SEVERITY.criticalShare)} of the entries and the table is at ≥ ${asPercent(TABLE_SEVERITY.pressureUsage)} of nf_conntrack_max (or the limit is unknown)`;
  return floor === 'warn'
    ? `${critical}, else warn`
    : `${critical}; warn at ≥ ${asPercent(TABLE_SEVERITY.warningShare)}; else ${floor}`;
}
