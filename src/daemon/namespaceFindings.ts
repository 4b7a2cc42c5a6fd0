import type { Finding } from '../core/analysis/findings.js';

/**
 * The latest table analysis of one namespace, kept between runs of the --analyze-interval worker:
 * /metrics, /api/findings and the alerts read it; none of them walks a table.
 */
export interface NamespaceFindings {
  netns: number;
  analyzedAtMs: number;
  durationSeconds: number;
  /** Entries the analysis read (the table moves on; this is what the findings describe). */
  entries: number;
  /** Most severe first, as `analyze` orders them. */
  findings: Finding[];
}

/** At most this many subjects per namespace behind --finding-subjects: a subject is an address or port. */
export const MAX_FINDING_SUBJECTS = 50;
