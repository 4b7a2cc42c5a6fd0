import type { FileWrite } from '../core/plan/persistPlan.js';
import { CtdoctorError } from '../core/errors.js';
import { sha256 } from '../host/atomicFile.js';
import type { Firewall } from '../host/firewall.js';
import type { HostFiles } from '../host/hostSeam.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import type { ChangeStep } from './journaledApply.js';

export interface SysctlTarget {
  key: string;
  to: string;
}

/** A step per sysctl that differs from its target, each with the value it has now. */
export async function sysctlSteps(access: SysctlAccess, targets: SysctlTarget[]): Promise<ChangeStep[]> {
  const steps: ChangeStep[] = [];
  for (const { key, to } of targets) {
    const before = await access.read(key);
    if (before === undefined)
      throw new CtdoctorError('not-loaded', `${key} does not exist: is nf_conntrack loaded?`);
    if (before === to) continue;
    steps.push({
      change: {
        kind: 'sysctl',
        key,
        before,
        after: to,
        ...(access.netns ? { netns: access.netns } : {}),
        ...access.place,
      },
      async apply() {
        await access.write(key, to);
        const after = await access.read(key);
        if (after !== to)
          throw new CtdoctorError(
            'kernel',
            `${key} reads back ${after} after writing ${to}: the kernel adjusted or refused it`,
          );
      },
    });
  }
  return steps;
}

/** A step per file write, its backup taken now (before anything is journaled or changed). */
export async function fileSteps(
  files: HostFiles,
  writes: FileWrite[],
  realPath: (path: string) => string,
  backupDir: string,
): Promise<ChangeStep[]> {
  const steps: ChangeStep[] = [];
  for (const write of writes) {
    const path = realPath(write.path);
    const backup = await files.backup(path, backupDir);
    const content = write.content;
    steps.push({
      change: {
        kind: 'file',
        path: write.path,
        backup,
        afterSha256: content === null ? null : sha256(content),
      },
      async apply() {
        if (content === null) await files.remove(path);
        else await files.writeAtomic(path, content);
      },
    });
  }
  return steps;
}

/** The creation of one of ctdoctor's nft tables (by `script`) when it does not exist; undo deletes it. */
export async function nftTableCreation(
  firewall: Firewall,
  table: string,
  script: string,
): Promise<ChangeStep[]> {
  const where = ['table', 'inet', table];
  if ((await firewall.run('nft', ['list', ...where])).exitCode === 0) return [];
  return [
    {
      change: {
        kind: 'command',
        description: `nft: create ${where.join(' ')}`,
        undo: firewall.argv('nft', ['delete', ...where]),
        inEffectWhen: { check: firewall.argv('nft', ['list', ...where]), exits: 'zero' },
      },
      apply: async () => {
        await firewall.check('nft', ['-f', '-'], script);
      },
    },
  ];
}

/** A firewall command as a step: `args` makes it, `undo` reverses it, `check` tells if it is in effect. */
export function firewallStep(
  firewall: Firewall,
  description: string,
  make: { command: string; args: string[] },
  undo: { command: string; args: string[] },
  check?: { command: string; args: string[]; exits: 'zero' | 'nonzero' },
): ChangeStep {
  return {
    change: {
      kind: 'command',
      description,
      undo: firewall.argv(undo.command, undo.args),
      ...(check
        ? { inEffectWhen: { check: firewall.argv(check.command, check.args), exits: check.exits } }
        : {}),
    },
    apply: async () => {
      await firewall.check(make.command, make.args);
    },
  };
}
