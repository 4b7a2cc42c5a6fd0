import type { TimeoutImpact } from './timeoutImpact.js';
import type { TimeoutChange, TimeoutRow } from './timeoutsPlan.js';

/** What `timeouts --apply` did: its journal entry, the idle entries --flush-idle deleted, the drop-ins written. */
export interface TimeoutsApplied {
  /** null when every value was already in place (nothing journaled). */
  journalId: string | null;
  flushed: number;
  /** Files --persist wrote, as paths on the target system. */
  persisted: string[];
}

/** What the proposed values would do to the entries in the table now. */
export interface TimeoutsScan {
  /** Entries in the table scanned. */
  entries: number;
  /** One per change, in --set order. */
  impacts: TimeoutImpact[];
}

/** `ctdoctor timeouts`: the table, what the proposed values would do, and what was done. */
export interface TimeoutsResult {
  /** Why the recommended column says what it says. */
  basis: string;
  timeouts: TimeoutRow[];
  changes: TimeoutChange[];
  /** The pass over the live table for the proposed values; null without --set. */
  scan: TimeoutsScan | null;
  /** Why the changes are not applied (protected flows, without --force); null when nothing stops them. */
  refusal: string | null;
  applied: TimeoutsApplied | null;
  /** The persist command to run next; null when there is nothing to persist or --persist did it. */
  persistCommand: string | null;
}
