import type { ActiveEntry, ListedEntry } from './journalEntry.js';

/** `ctdoctor rollback`: the entries undone, newest first, and what was skipped on the way. */
export interface RollbackResult {
  undone: ActiveEntry[];
  warnings: string[];
}

/** `rollback --list`: every journaled entry, oldest first, and the lines that could not be read. */
export interface JournalListing {
  /** The journal file, for the operator to find it. */
  path: string;
  entries: ListedEntry[];
  warnings: string[];
}
