import { CtdoctorError, isCtdoctorError } from '../core/errors.js';
import { sha256 } from '../host/atomicFile.js';
import type { Host } from '../host/hostSeam.js';
import { withChangeLock } from './changeLock.js';
import { type UndoContext, inEffect, undoChangeNow } from './changeUndo.js';
import type { ActiveEntry, JournalChange } from '../core/journal/journalEntry.js';
import type { RollbackResult } from '../core/journal/rollbackResult.js';
import { sysctlPlaceMismatch } from '../core/journal/sysctlPlace.js';
import type { Journal } from './journal.js';

export interface RollbackOptions extends UndoContext {
  /** Undo every change back to and including this one; default: only the newest. */
  toId?: string;
  force: boolean;
}

/**
 * Undoes one journaled change, made or cut short by a crash: a change no longer in effect (already
 * back as before, never made, a rollback killed midway and re-run) is left alone; one something else
 * changed since ctdoctor made it is refused unless --force; a sysctl whose namespace is gone went
 * with it. Any other failure is an error, before the entry is recorded as rolled back.
 */
async function undoChange(
  change: JournalChange,
  options: RollbackOptions,
  host: Host,
  warnings: string[],
): Promise<void> {
  if (change.kind === 'sysctl') {
    let now: string | undefined;
    try {
      const access = await options.accessFor(change.netns);
      const elsewhere = sysctlPlaceMismatch(change, access.place ?? {});
      // Not even --force: it restores a value ctdoctor changed, never one in a place it did not touch.
      if (elsewhere) throw new CtdoctorError('refused', elsewhere);
      now = await access.read(change.key);
    } catch (error) {
      if (change.netns && isCtdoctorError(error) && error.kind === 'not-found') {
        warnings.push(`${change.key}: namespace ${change.netns} is gone, and its setting with it`);
        return;
      }
      throw error;
    }
    if (now === change.before) return;
    if (now !== change.after && !options.force)
      throw new CtdoctorError(
        'refused',
        `${change.key} is ${now}, not ${change.after} as ctdoctor left it: something else changed it (use --force to restore ${change.before} anyway)`,
      );
  } else if (change.kind === 'file') {
    const current = await host.files.read(options.realPath(change.path));
    const currentHash = current ? sha256(current) : null;
    if (await isAsBefore(change, currentHash, host)) return;
    if (currentHash !== change.afterSha256 && !options.force)
      throw new CtdoctorError(
        'refused',
        `${change.path} was modified after ctdoctor wrote it (use --force to restore the backup anyway)`,
      );
  } else if (!(await inEffect(change, options, host))) return;
  await undoChangeNow(change, options, host);
}

/** The file is as it was before ctdoctor's change: absent where it was absent, or its backup's bytes. */
async function isAsBefore(
  change: Extract<JournalChange, { kind: 'file' }>,
  currentHash: string | null,
  host: Host,
): Promise<boolean> {
  if (!change.backup) return currentHash === null;
  const backup = await host.files.read(change.backup);
  return backup !== null && currentHash === sha256(backup);
}

/** Undoes journaled changes newest first, each change of an entry in reverse order. */
export async function rollbackChanges(journal: Journal, options: RollbackOptions): Promise<RollbackResult> {
  return withChangeLock(journal, async () => {
    const { entries: active, warnings } = await journal.active();
    if (active.length === 0)
      throw new CtdoctorError(
        'not-found',
        `nothing to roll back: the journal ${journal.path} has no active changes`,
      );
    let start = active.length - 1;
    if (options.toId) {
      start = active.findIndex((entry) => entry.id === options.toId);
      if (start < 0)
        throw new CtdoctorError(
          'not-found',
          `no active change ${options.toId} in ${journal.path} (see: ctdoctor rollback --list)`,
        );
    }
    const undone: ActiveEntry[] = [];
    for (const entry of active.slice(start).reverse()) {
      // What a crash cut short came after what was made: it is undone first, where it took effect.
      const changes = [...entry.changes, ...(entry.inDoubt ?? [])];
      for (const change of changes.reverse()) await undoChange(change, options, journal.host, warnings);
      await journal.recordRollback(entry.id);
      undone.push(entry);
    }
    return { undone, warnings };
  });
}
