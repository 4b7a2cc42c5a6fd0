export type Severity = 'crit' | 'warn' | 'info';

export const SEVERITY_ORDER: Record<Severity, number> = { crit: 0, warn: 1, info: 2 };

/** One thing worth telling the operator, with the numbers behind it and what to run. */
export interface Finding {
  kind: string;
  severity: Severity;
  /** The address, port or pair the finding is about. */
  subject: string;
  evidence: Record<string, number | string>;
  /** What to do, in one or two sentences. */
  advice: string;
  /** Exact commands: ctdoctor's first, then the raw equivalent. */
  commands: string[];
  /**
   * The addresses this finding accuses, each with the entries it holds: what
   * `block --from-findings` may block. Absent when the finding names no offender (a flood's
   * busiest clients, a leak's pool, a dead service's clients are not offenders); a rule opts in
   * by setting it, and its registry kind says so in `offenders`.
   */
  offenders?: Offender[];
}

/** An address a finding accuses, with the entries it holds in the table analysed. */
export interface Offender {
  address: string;
  entries: number;
  /** Its share of the entries analysed, as `shareOfTable` prints it (e.g. "66%"). */
  share: string;
}

export function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
}
