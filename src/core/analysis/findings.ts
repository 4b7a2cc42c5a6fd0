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
}

export function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
}
