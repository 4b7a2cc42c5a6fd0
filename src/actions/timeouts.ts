import { runConntrackBatch } from '../host/conntrackBatch.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { withChangeLock } from './changeLock.js';
import type { Journal } from './journal.js';
import { applySysctls } from './sysctlTransaction.js';

export interface TimeoutChange {
  name: string;
  newSeconds: number;
}

/**
 * Writes the timeouts in the namespace (journaled), then optionally deletes the entries already
 * idle beyond their new timeout: the kernel does not shorten existing timers by itself.
 */
export async function applyTimeouts(
  files: NetnsFiles,
  roots: HostRoots,
  changes: TimeoutChange[],
  idleEntryDeletions: string[] | null,
  journal: Journal,
): Promise<{ journalId: string | null; flushed: number }> {
  return withChangeLock(journal.stateDir, async () => {
    const journalChanges = await applySysctls(
      sysctlAccess(files, roots),
      changes.map((change) => ({
        key: `net.netfilter.nf_conntrack_${change.name}`,
        to: String(change.newSeconds),
      })),
    );
    let flushed = 0;
    if (idleEntryDeletions && idleEntryDeletions.length > 0) {
      const before = (await readConntrackSettings(files)).count;
      await runConntrackBatch(files, idleEntryDeletions);
      flushed = Math.max(0, before - (await readConntrackSettings(files)).count);
    }
    const journalId = journalChanges.length > 0 ? journal.newId() : null;
    if (journalId)
      await journal.record({
        id: journalId,
        time: new Date().toISOString(),
        command: 'timeouts',
        changes: journalChanges,
      });
    return { journalId, flushed };
  });
}
