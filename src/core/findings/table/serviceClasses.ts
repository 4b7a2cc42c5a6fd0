import type { SourceShare, TableSignals, UnrepliedService } from '../../analysis/tableSummary.js';
import { percent } from './tableReadings.js';

/** How many of a subset's own sources a finding prints: the few an operator reads before acting. */
export const SHOWN_SOURCES = 3;

/**
 * "127.0.0.9 12%, 127.0.0.10 5%": a subset's own busiest sources, each with its share of the
 * subset's entries (not of the table: a flood's sources are judged against the flood).
 */
export function sourceSharesText(sources: readonly SourceShare[], subsetEntries: number): string {
  return sources
    .slice(0, SHOWN_SOURCES)
    .map((source) => `${source.source} ${percent(source.entries, subsetEntries)}`)
    .join(', ');
}

/**
 * Whether any of the service's entries were DNAT'd: then "never answers" is about a backend
 * behind it (stale-nat), not the address the clients were configured with.
 */
export function isDnatService(signals: TableSignals, service: UnrepliedService): boolean {
  return signals.natBackends.some((backend) => backend.service === service.service);
}
