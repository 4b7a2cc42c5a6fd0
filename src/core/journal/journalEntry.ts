import type { SysctlPlace } from './sysctlPlace.js';
/**
 * What the journal holds (src/actions/journal.ts writes and replays it): each applied change with the
 * state before it, so rollback can restore it exactly. Pure types, for the actions that write entries
 * and the renderers that list them.
 */

/** One undoable change, with the state before it. Values are kept as the kernel printed them. */
export type JournalChange =
  | ({ kind: 'sysctl'; key: string; before: string; after: string; netns?: string } & SysctlPlace)
  | { kind: 'file'; path: string; backup: string | null; afterSha256: string | null }
  | {
      kind: 'command';
      description: string;
      undo: string[];
      input?: string;
      /** How to tell whether the change is in effect (for a change a crash may have cut short). */
      inEffectWhen?: { check: string[]; exits: 'zero' | 'nonzero' };
    }
  | {
      kind: 'nft-rule';
      description: string;
      /** The argv that runs nft where the rule is (nsenter into its namespace). */
      nft: string[];
      table: string;
      chain: string;
      /** The rule as `nft list` prints it: undo finds it by this text, so no handle is needed. */
      rule: string;
      /** true: ctdoctor added the rule (undo deletes it); false: it deleted it (undo adds it back). */
      added: boolean;
    };

export interface JournalEntry {
  id: string;
  time: string;
  command: string;
  changes: JournalChange[];
}

/** What became of an entry: applied, interrupted by a crash, undone after a failure, or rolled back. */
export type EntryState = 'applied' | 'interrupted' | 'partly undone' | 'undone on failure' | 'rolled back';

/**
 * An entry still to undo: `changes` were made. `inDoubt` (oldest first) may or may not be in effect:
 * the change being made when ctdoctor died, or every change of an apply that died while undoing
 * itself after a failure. Undo them only where they took effect.
 */
export interface ActiveEntry extends JournalEntry {
  inDoubt?: JournalChange[];
}

/** An entry as `rollback --list` shows it: with what became of it. */
export interface ListedEntry extends JournalEntry {
  state: EntryState;
  rolledBack: boolean;
}

/** A change in the operator's words, for messages, crash points and what rollback lists. */
export function describeChange(change: JournalChange): string {
  switch (change.kind) {
    case 'sysctl':
      return `${change.key}: ${change.before} → ${change.after}${change.netns ? ` (in ${change.netns})` : ''}`;
    case 'file':
      return change.afterSha256 === null ? `remove ${change.path}` : `write ${change.path}`;
    default:
      return change.description;
  }
}
