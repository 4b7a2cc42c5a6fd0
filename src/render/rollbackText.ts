import { type EntryState, type JournalChange, describeChange } from '../core/journal/journalEntry.js';
import type { JournalListing, RollbackResult } from '../core/journal/rollbackResult.js';
import { pc } from './colors.js';

// These renderers return the whole output, each line ending in a newline: a warning's colour spans
// its newline, as it always has.

/** A change as --list and a rollback show it: files say whether a backup was kept. */
function changeText(change: JournalChange): string {
  if (change.kind === 'file') return `${change.path}${change.backup ? ' (backup kept)' : ' (new file)'}`;
  return describeChange(change);
}

/** How --list explains an entry that is not simply applied. */
const STATE_NOTE: Record<Exclude<EntryState, 'applied'>, string> = {
  interrupted: 'interrupted: ctdoctor stopped mid-apply; rollback undoes what it did',
  'partly undone': 'failed and partly undone; rollback undoes the rest',
  'undone on failure': 'failed, nothing left changed',
  'rolled back': 'rolled back',
};

function warningsText(warnings: readonly string[]): string {
  return warnings.map((warning) => pc.yellow(`warning: ${warning}\n`)).join('');
}

/** `rollback --list`: each entry with its state and changes, oldest first (warnings: renderJournalWarnings). */
export function renderJournalList(listing: JournalListing): string {
  if (listing.entries.length === 0) return `no changes journaled in ${listing.path}\n`;
  return listing.entries
    .map((entry) => {
      const note = entry.state === 'applied' ? '' : pc.dim(`  (${STATE_NOTE[entry.state]})`);
      const changes = entry.changes.map((change) => `    ${changeText(change)}\n`).join('');
      return `${pc.bold(entry.id)}  ${entry.time}  ${entry.command}${note}\n${changes}`;
    })
    .join('');
}

/** The journal lines `rollback --list` skipped, for stderr: the listing itself stays on stdout. */
export function renderJournalWarnings(listing: JournalListing): string {
  return warningsText(listing.warnings);
}

/** `ctdoctor rollback`: each entry undone, newest first, with every change restored; then warnings. */
export function renderRollbackText(result: RollbackResult): string {
  const undone = result.undone.map((entry) => {
    const changes = [...entry.changes, ...(entry.inDoubt ?? [])];
    return `rolled back ${pc.bold(entry.id)} (${entry.command})\n${changes.map((change) => `    ${changeText(change)}  restored\n`).join('')}`;
  });
  return `${undone.join('')}${warningsText(result.warnings)}`;
}

/** `rollback --list --json` (ctdoctor.journal/v1). */
export function journalListJson(listing: JournalListing) {
  return {
    schema: 'ctdoctor.journal/v1',
    path: listing.path,
    entries: listing.entries,
    warnings: listing.warnings,
  };
}

/** `rollback --json` (ctdoctor.rollback/v1). */
export function rollbackJson(result: RollbackResult) {
  return { schema: 'ctdoctor.rollback/v1', undone: result.undone, warnings: result.warnings };
}
