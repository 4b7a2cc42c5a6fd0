import { CtdoctorError } from '../core/errors.js';
import { HELPER_BLACKLIST_FILE, type HelperPlanItem } from '../core/plan/conntrackHelpers.js';
import { runTool } from '../host/childProcess.js';
import { underRoot } from '../host/confTree.js';
import { readOptionalText } from '../host/fileRead.js';
import type { Journal } from './journal.js';
import { applyPersist } from './persist.js';

/** Unloads the unused helper modules and keeps them out with `install … /bin/false` lines. */
export async function unloadHelpers(
  items: HelperPlanItem[],
  root: string,
  journal: Journal,
): Promise<string | null> {
  for (const item of items) {
    const result = await runTool('modprobe', ['-r', `nf_conntrack_${item.name}`]);
    if (result.exitCode !== 0)
      throw new CtdoctorError('kernel', `modprobe -r nf_conntrack_${item.name}: ${result.stderr.trim()}`);
  }
  const realPath = (path: string) => underRoot(root, path);
  const current = (await readOptionalText(realPath(HELPER_BLACKLIST_FILE))) ?? '';
  const lines = items
    .map((item) => `install nf_conntrack_${item.name} /bin/false`)
    .filter((line) => !current.includes(line));
  const content = `${current || '# Written by ctdoctor helpers: conntrack helpers nothing here uses.\n'}${lines.map((line) => `${line}\n`).join('')}`;
  const result = await applyPersist(
    [{ path: HELPER_BLACKLIST_FILE, content, why: 'keep unused helpers unloaded' }],
    {},
    { journal, realPath, reload: null },
  );
  return result.journalId;
}
