import { CtdoctorError } from '../core/errors.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import type { JournalChange } from './journal.js';

export interface SysctlTarget {
  key: string;
  to: string;
}

/**
 * Writes the targets in order, reading each back. All or nothing: when one write fails or does not
 * read back, the ones already written are restored before the error is reported.
 */
export async function applySysctls(access: SysctlAccess, targets: SysctlTarget[]): Promise<JournalChange[]> {
  const done: JournalChange[] = [];
  try {
    for (const target of targets) {
      const before = await access.read(target.key);
      if (before === undefined)
        throw new CtdoctorError('not-loaded', `${target.key} does not exist: is nf_conntrack loaded?`);
      if (before === target.to) continue;
      await access.write(target.key, target.to);
      const after = await access.read(target.key);
      done.push({
        kind: 'sysctl',
        key: target.key,
        before,
        after: after ?? '',
        ...(access.netns ? { netns: access.netns } : {}),
      });
      if (after !== target.to) {
        throw new CtdoctorError(
          'kernel',
          `${target.key} reads back ${after} after writing ${target.to}: the kernel adjusted or refused it`,
        );
      }
    }
    return done;
  } catch (error) {
    for (const change of [...done].reverse()) {
      if (change.kind === 'sysctl') await access.write(change.key, change.before).catch(() => {});
    }
    throw error;
  }
}
