/**
 * One kind of finding as the registry lists it and docs/findings.md shows it: what a rule reports,
 * written once. In `id`, `subject` and `commands`, `<name>` marks a part filled in from the
 * readings and `[ … ]` a part that appears only sometimes.
 */
export interface FindingKind {
  /** The finding's id (doctor) or kind (analyze), e.g. `table-dropping:<netns>`. */
  id: string;
  /** The report that shows it; doctor also shows every analyze finding of each namespace. */
  report: 'doctor' | 'analyze';
  /** What an analyze finding is about (its `subject`); alternatives are joined by " or ". */
  subject?: string;
  /** When it fires, thresholds included. */
  when: string;
  /** Its severity rule, in words. */
  severity: string;
  /** The evidence fields it carries; a trailing `?` marks one present only sometimes. */
  evidence: readonly string[];
  /** What the operator is told: doctor's `explanation`, analyze's `advice`. */
  advice: string;
  /** The commands it may suggest, in the order it lists them. */
  commands: readonly string[];
  /**
   * Who the finding names as offenders (its `offenders` field), the addresses
   * `block --from-findings` takes. Absent: it names none, and its advice never says to block.
   */
  offenders?: string;
}

/** 0.05 → "5 %", for the `when` texts the docs print. */
export function asPercent(share: number): string {
  return `${Number((share * 100).toFixed(1))} %`;
}
