import type { Finding } from '../../analysis/findings.js';
import type { TableSummary } from '../../analysis/tableSummary.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../../plan/timeoutDefaults.js';
import type { FindingKind } from '../findingKind.js';

export interface DetectorContext {
  /** nf_conntrack_max, when known: shares of the limit decide severity. */
  max?: number;
  /** Live timeout values by short name (e.g. tcp_timeout_established). */
  timeouts?: Record<string, number>;
}

/** What a table rule reads: one summary of the entries analysed (the table, or the sample). */
export interface TableReadings {
  summary: TableSummary;
  context: DetectorContext;
  /** What the rules listed before this one found: unreplied-heavy steps back for a scan or a flood. */
  earlier: readonly Finding[];
}

/** A table pattern (analyze's findings): one rule, the kinds it reports. */
export interface TableRule {
  kinds: readonly FindingKind[];
  detect(readings: TableReadings): Finding[];
}

/**
 * Every table finding needs this many entries as well as its share: a small table is never "under
 * attack", and a healthy table yields nothing (the healthy fixture, 410 entries, has none).
 */
export const MIN_ENTRIES = 100;

/** At least MIN_ENTRIES entries and `share` of the entries analysed. */
export function enoughEntries(readings: TableReadings, count: number, share: number): boolean {
  return count >= MIN_ENTRIES && count >= share * readings.summary.entries;
}

/** The live timeout when known, else the kernel's default (a saved dump carries none). */
export function timeoutSeconds(readings: TableReadings, name: string): number {
  return readings.context.timeouts?.[name] ?? KERNEL_DEFAULT_TIMEOUTS[name]!;
}

/** "1.5%" under a tenth, "30%" above: the precision an operator reads. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(part / whole < 0.1 ? 1 : 0)}%` : '0%';
}
