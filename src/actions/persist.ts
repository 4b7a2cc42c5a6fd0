import type { FileWrite, PersistPlan } from '../core/plan/persistPlan.js';
import type { PersistResult } from '../core/plan/persistResult.js';
import { type HostFiles, realHost } from '../host/hostSeam.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import { withChangeLock } from './changeLock.js';
import { fileSteps, sysctlSteps } from './changeSteps.js';
import type { Journal } from './journal.js';
import { undoContextOf } from './changeUndo.js';
import { applyJournaled } from './journaledApply.js';

/** The plan's writes that would change something on disk (a second run finds none). */
export async function pendingWrites(
  plan: PersistPlan,
  realPath: (path: string) => string,
  files: HostFiles = realHost.files,
): Promise<FileWrite[]> {
  const pending: FileWrite[] = [];
  for (const write of plan.writes) {
    const current = await files.read(realPath(write.path));
    const same =
      current === null || write.content === null
        ? current === write.content
        : current.equals(Buffer.from(write.content));
    if (!same) pending.push(write);
  }
  return pending;
}

/**
 * Writes each file atomically (backups taken first) and optionally applies the values now, as one
 * journaled, all-or-nothing entry.
 */
export async function applyPersist(
  writes: FileWrite[],
  values: Record<string, string>,
  options: { journal: Journal; realPath: (path: string) => string; reload: SysctlAccess | null },
): Promise<PersistResult> {
  const { journal, realPath, reload } = options;
  return withChangeLock(journal, async () => {
    const id = journal.newId();
    const files = await fileSteps(journal.host.files, writes, realPath, journal.backupDir(id));
    const targets = Object.entries(values).map(([key, to]) => ({ key, to }));
    const reloads = reload ? await sysctlSteps(reload, targets) : [];
    const made = await applyJournaled(
      { journal, id, command: 'persist', undo: undoContextOf(reload, realPath) },
      [...files, ...reloads],
    );
    return {
      written: writes,
      reloaded: made.filter((change) => change.kind === 'sysctl'),
      journalId: made.length > 0 ? id : null,
    };
  });
}
