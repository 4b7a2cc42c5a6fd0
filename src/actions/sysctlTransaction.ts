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
    await restoreOrExplain(access, done, error);
    throw error;
  }
}

/**
 * Puts back the values already written, newest first. A restore that fails too is the worst case of
 * an all-or-nothing write: the error then names every key left changed, its value and the command
 * that fixes it, and keeps the first failure as its cause.
 */
async function restoreOrExplain(
  access: SysctlAccess,
  done: JournalChange[],
  failure: unknown,
): Promise<void> {
  const leftChanged: string[] = [];
  const fixes: string[] = [];
  for (const change of [...done].reverse()) {
    if (change.kind !== 'sysctl') continue;
    try {
      await access.write(change.key, change.before);
    } catch (restoreError) {
      const now = await access.read(change.key).catch(() => undefined);
      leftChanged.push(
        `${change.key} = ${now ?? change.after} (was ${change.before}: ${(restoreError as Error).message})`,
      );
      fixes.push(handFix(access, change.key, change.before));
    }
  }
  if (leftChanged.length === 0) return;
  throw new CtdoctorError(
    'kernel',
    `${(failure as Error).message ?? String(failure)}; undoing the writes failed too, LEFT CHANGED: ${leftChanged.join('; ')}; fix by hand: ${fixes.join(' && ')}`,
    { cause: failure },
  );
}

function handFix(access: SysctlAccess, key: string, value: string): string {
  const command = `sysctl -w ${key}=${value}`;
  return access.netns ? `nsenter --net=${access.netns} ${command}` : command;
}
