import { CtdoctorError } from '../core/errors.js';
import { runTool } from '../host/childProcess.js';
import { copy, readBytesOrNull, removeIfPresent } from '../host/stateFiles.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import { sha256, writeFileAtomic } from '../host/atomicFile.js';
import { withChangeLock } from './changeLock.js';
import { undoIfInEffect } from './changeUndo.js';
import type { Journal, JournalChange, JournalEntry } from './journal.js';

export interface RollbackOptions {
  /** Undo every change back to and including this one; default: only the newest. */
  toId?: string;
  force: boolean;
  /** Sysctl access for a namespace path (undefined: ctdoctor's own). */
  accessFor: (netns: string | undefined) => Promise<SysctlAccess>;
  /** Maps a journaled absolute path to where it is on this run (--root). */
  realPath: (path: string) => string;
}

export interface RollbackResult {
  undone: JournalEntry[];
  warnings: string[];
}

async function undoChange(
  change: JournalChange,
  options: RollbackOptions,
  warnings: string[],
): Promise<void> {
  if (change.kind === 'sysctl') {
    let access: SysctlAccess;
    try {
      access = await options.accessFor(change.netns);
    } catch (error) {
      if (change.netns && error instanceof CtdoctorError && error.kind === 'not-found') {
        warnings.push(`${change.key}: namespace ${change.netns} is gone, and its setting with it`);
        return;
      }
      throw error;
    }
    const now = await access.read(change.key);
    // Already back (a rollback killed midway, re-run): nothing to undo, nothing to refuse.
    if (now === change.before) return;
    if (now !== change.after && !options.force) {
      throw new CtdoctorError(
        'refused',
        `${change.key} is ${now}, not ${change.after} as ctdoctor left it: something else changed it (use --force to restore ${change.before} anyway)`,
      );
    }
    await access.write(change.key, change.before);
    return;
  }
  if (change.kind === 'file') {
    const path = options.realPath(change.path);
    const current = await readBytesOrNull(path);
    const currentHash = current ? sha256(current) : null;
    if (await isAsBefore(change, currentHash)) return;
    if (currentHash !== change.afterSha256 && !options.force) {
      throw new CtdoctorError(
        'refused',
        `${change.path} was modified after ctdoctor wrote it (use --force to restore the backup anyway)`,
      );
    }
    if (change.backup) {
      const backup = await readBytesOrNull(change.backup);
      if (backup === null)
        throw new CtdoctorError(
          'not-found',
          `backup ${change.backup} is gone: cannot restore ${change.path}`,
        );
      await writeFileAtomic(path, backup);
      await copy(change.backup, `${change.backup}.restored`).catch(() => {});
    } else await removeIfPresent(path);
    return;
  }
  if (change.kind === 'nft-rule') return undoIfInEffect(change, options);
  const [command, ...args] = change.undo;
  const result = await runTool(command!, args, { input: change.input });
  if (result.exitCode !== 0)
    warnings.push(`${change.description}: undo "${change.undo.join(' ')}" failed: ${result.stderr.trim()}`);
}

/** The file is as it was before ctdoctor's change: absent where it was absent, or its backup's bytes. */
async function isAsBefore(
  change: Extract<JournalChange, { kind: 'file' }>,
  currentHash: string | null,
): Promise<boolean> {
  if (!change.backup) return currentHash === null;
  const backup = await readBytesOrNull(change.backup);
  return backup !== null && currentHash === sha256(backup);
}

/** Undoes journaled changes newest first, each change of an entry in reverse order. */
export async function rollbackChanges(journal: Journal, options: RollbackOptions): Promise<RollbackResult> {
  return withChangeLock(journal.stateDir, async () => {
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
    const undone: JournalEntry[] = [];
    for (const entry of active.slice(start).reverse()) {
      // What a crash cut short is undone only where it took effect.
      for (const change of [...(entry.inDoubt ?? [])].reverse()) await undoIfInEffect(change, options);
      for (const change of [...entry.changes].reverse()) await undoChange(change, options, warnings);
      await journal.recordRollback(entry.id);
      undone.push(entry);
    }
    return { undone, warnings };
  });
}
