import type { SourceShare, TableSignals, UnrepliedService } from '../../analysis/tableSummary.js';
import { percent } from './tableReadings.js';

/** How many of a subset's own sources a finding prints: the few an operator reads before acting. */
export const SHOWN_SOURCES = 3;

/**
 * A source under this share of a subset is one of a crowd (a spoofed flood's 300 sources hold a
 * third of a percent each): naming three of them would say nothing, and which three would depend
 * on the order of ties.
 */
export const SHOWN_MIN_SHARE = 0.01;

/**
 * "127.0.0.9 12%, 127.0.0.10 5%": a subset's own busiest sources (or services), each with its
 * share of the subset's entries (not of the table: a flood's sources are judged against the flood).
 */
export function sharesText(
  items: readonly { name: string; entries: number }[],
  subsetEntries: number,
): string {
  const shown = items
    .filter((item) => item.entries >= SHOWN_MIN_SHARE * subsetEntries)
    .slice(0, SHOWN_SOURCES)
    .map((item) => `${item.name} ${percent(item.entries, subsetEntries)}`);
  return shown.length > 0 ? shown.join(', ') : `each under ${percent(SHOWN_MIN_SHARE, 1)}`;
}

/** sharesText of a subset's sources. */
export function sourceSharesText(sources: readonly SourceShare[], subsetEntries: number): string {
  return sharesText(
    sources.map((s) => ({ name: s.source, entries: s.entries })),
    subsetEntries,
  );
}

/**
 * Whether any of the service's entries were DNAT'd: then "never answers" is about a backend
 * behind it (stale-nat), not the address the clients were configured with.
 */
export function isDnatService(signals: TableSignals, service: UnrepliedService): boolean {
  return signals.natBackends.some((backend) => backend.service === service.service);
}
