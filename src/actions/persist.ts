import type { FileWrite, PersistPlan } from '../core/plan/persistPlan.js';
import { backupFile, sha256, writeFileAtomic } from '../host/atomicFile.js';
import { readBytesOrNull, removeIfPresent } from '../host/stateFiles.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import { withChangeLock } from './changeLock.js';
import type { Journal, JournalChange } from './journal.js';
import { applySysctls } from './sysctlTransaction.js';

/** The plan's writes that would change something on disk (a second run finds none). */
export async function pendingWrites(
  plan: PersistPlan,
  realPath: (path: string) => string,
): Promise<FileWrite[]> {
  const pending: FileWrite[] = [];
  for (const write of plan.writes) {
    const current = await readBytesOrNull(realPath(write.path));
    const same =
      current === null || write.content === null
        ? current === write.content
        : current.equals(Buffer.from(write.content));
    if (!same) pending.push(write);
  }
  return pending;
}

export interface PersistResult {
  written: FileWrite[];
  reloaded: JournalChange[];
  journalId: string | null;
}

/** Writes each file atomically with a backup, optionally applies the values now, and journals it all. */
export async function applyPersist(
  writes: FileWrite[],
  values: Record<string, string>,
  options: { journal: Journal; realPath: (path: string) => string; reload: SysctlAccess | null },
): Promise<PersistResult> {
  const { journal, realPath } = options;
  return withChangeLock(journal.stateDir, async () => {
    const id = journal.newId();
    const changes: JournalChange[] = [];
    for (const write of writes) {
      const path = realPath(write.path);
      const backup = await backupFile(path, journal.backupDir(id));
      if (write.content === null) await removeIfPresent(path);
      else await writeFileAtomic(path, write.content);
      changes.push({
        kind: 'file',
        path: write.path,
        backup,
        afterSha256: write.content === null ? null : sha256(write.content),
      });
    }
    const reloaded = options.reload
      ? await applySysctls(
          options.reload,
          Object.entries(values).map(([key, to]) => ({ key, to })),
        )
      : [];
    changes.push(...reloaded);
    if (changes.length > 0)
      await journal.record({ id, time: new Date().toISOString(), command: 'persist', changes });
    return { written: writes, reloaded, journalId: changes.length > 0 ? id : null };
  });
}
