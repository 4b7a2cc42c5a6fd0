import type { FileWrite } from '../core/plan/persistPlan.js';
import type { TimeoutChange } from '../core/plan/timeoutsPlan.js';
import { runConntrackBatch } from '../host/conntrackBatch.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { withChangeLock } from './changeLock.js';
import { fileSteps, sysctlSteps } from './changeSteps.js';
import { undoContextOf } from './changeUndo.js';
import type { Journal } from './journal.js';
import { applyJournaled } from './journaledApply.js';

/** The drop-in writes of `timeouts --persist`, made in the same journal entry as the values. */
export interface TimeoutsPersist {
  writes: FileWrite[];
  realPath: (path: string) => string;
}

/**
 * Writes the timeouts in the namespace (and the drop-in that persists them) as one journaled,
 * all-or-nothing entry, then optionally deletes the entries already idle beyond their new timeout:
 * the kernel does not shorten existing timers by itself. Deleted entries are not undoable.
 */
export async function applyTimeouts(
  files: NetnsFiles,
  roots: HostRoots,
  changes: TimeoutChange[],
  idleEntryDeletions: string[] | null,
  journal: Journal,
  persist: TimeoutsPersist | null,
): Promise<{ journalId: string | null; flushed: number }> {
  return withChangeLock(journal, async () => {
    const id = journal.newId();
    const access = sysctlAccess(files, roots);
    const steps = [
      ...(await sysctlSteps(
        access,
        changes.map((change) => ({
          key: `net.netfilter.nf_conntrack_${change.name}`,
          to: String(change.newSeconds),
        })),
      )),
      ...(persist
        ? await fileSteps(journal.host.files, persist.writes, persist.realPath, journal.backupDir(id))
        : []),
    ];
    const made = await applyJournaled(
      { journal, id, command: 'timeouts', undo: undoContextOf(access, persist?.realPath) },
      steps,
    );
    let flushed = 0;
    if (idleEntryDeletions && idleEntryDeletions.length > 0) {
      const before = (await readConntrackSettings(files)).count;
      await runConntrackBatch(files, idleEntryDeletions);
      flushed = Math.max(0, before - (await readConntrackSettings(files)).count);
    }
    return { journalId: made.length > 0 ? id : null, flushed };
  });
}
