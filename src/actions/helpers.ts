import { CtdoctorError } from '../core/errors.js';
import { HELPER_BLACKLIST_FILE, type HelperPlanItem } from '../core/plan/conntrackHelpers.js';
import { underRoot } from '../host/confTree.js';
import type { HostProcesses } from '../host/hostSeam.js';
import { withChangeLock } from './changeLock.js';
import { fileSteps } from './changeSteps.js';
import { undoContextOf } from './changeUndo.js';
import type { Journal } from './journal.js';
import { type ChangeStep, applyJournaled } from './journaledApply.js';

function unloadStep(processes: HostProcesses, name: string): ChangeStep {
  const module = `nf_conntrack_${name}`;
  return {
    // Loading a loaded module is a no-op, so the undo needs no check.
    change: { kind: 'command', description: `unload ${module}`, undo: ['modprobe', module] },
    async apply() {
      const result = await processes.run('modprobe', ['-r', module]);
      if (result.exitCode !== 0)
        throw new CtdoctorError('kernel', `modprobe -r ${module}: ${result.stderr.trim()}`);
    },
  };
}

/**
 * Unloads the unused helper modules and keeps them out with `install … /bin/false` lines, as one
 * journaled, all-or-nothing entry (rollback restores the file first, then loads the modules).
 */
export async function unloadHelpers(
  items: HelperPlanItem[],
  root: string,
  journal: Journal,
): Promise<string | null> {
  const realPath = (path: string) => underRoot(root, path);
  return withChangeLock(journal, async () => {
    const id = journal.newId();
    const current = (await journal.host.files.read(realPath(HELPER_BLACKLIST_FILE)))?.toString('utf8') ?? '';
    const lines = items
      .map((item) => `install nf_conntrack_${item.name} /bin/false`)
      .filter((line) => !current.includes(line));
    const content = `${current || '# Written by ctdoctor helpers: conntrack helpers nothing here uses.\n'}${lines.map((line) => `${line}\n`).join('')}`;
    const write = { path: HELPER_BLACKLIST_FILE, content, why: 'keep unused helpers unloaded' };
    const files =
      content === current
        ? []
        : await fileSteps(journal.host.files, [write], realPath, journal.backupDir(id));
    const made = await applyJournaled(
      { journal, id, command: 'helpers', undo: undoContextOf(null, realPath) },
      [...items.map((item) => unloadStep(journal.host.processes, item.name)), ...files],
    );
    return made.length > 0 ? id : null;
  });
}
