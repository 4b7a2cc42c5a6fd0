import type { JournalChange } from '../journal/journalEntry.js';
import type { KeyOwner } from './keyOwnerAdvice.js';
import type { FileWrite, PersistPlan } from './persistPlan.js';

/** What applying a persist plan did: the files written and, with --reload, the values applied now. */
export interface PersistResult {
  written: FileWrite[];
  reloaded: JournalChange[];
  journalId: string | null;
}

/** One `persist` run: the plan, the writes still to make, who else sets these keys, what it did. */
export interface PersistReport {
  plan: PersistPlan;
  /** The plan's writes that would change a file (none on a second run). */
  pending: FileWrite[];
  owners: KeyOwner[];
  /** null: the plan only (no --apply). */
  result: PersistResult | null;
}
