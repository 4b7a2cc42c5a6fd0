import type { DriftEvent } from './serveSample.js';

/**
 * Drift events kept for /api/drift: settings change seldom (kube-proxy at restart, a deploy), so
 * a thousand covers weeks; a flapping writer cannot grow the daemon beyond it.
 */
export const DRIFT_EVENTS_KEPT = 1000;

export interface ServeDriftBody {
  schema: 'ctdoctor.serve-drift/v1';
  /** Oldest first; `who` is null when it could not be told, `byCtdoctor` when something else changed it. */
  events: (Omit<DriftEvent, 'who' | 'byCtdoctor'> & { who: string | null; byCtdoctor: string | null })[];
}

export function serveDriftBody(events: readonly DriftEvent[]): ServeDriftBody {
  return {
    schema: 'ctdoctor.serve-drift/v1',
    events: events.map((event) => ({
      ...event,
      who: event.who ?? null,
      byCtdoctor: event.byCtdoctor ?? null,
    })),
  };
}
