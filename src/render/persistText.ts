import { pc } from './colors.js';
import type { PersistResult } from '../actions/persist.js';
import type { DriftRow } from '../core/plan/persistDrift.js';
import type { FileWrite, PersistPlan } from '../core/plan/persistPlan.js';
import type { BootValue } from '../core/plan/sysctlPrecedence.js';
import type { KeyOwner } from '../host/keyOwners.js';

export function renderPersist(
  plan: PersistPlan,
  pending: FileWrite[],
  owners: KeyOwner[],
  result: PersistResult | null,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  const lines: string[] = [];
  if (pending.length === 0) lines.push(pc.green('nothing to write: the files already hold these values'));
  else {
    lines.push(pc.bold(result ? 'written:' : 'plan (nothing written; add --apply to do it):'));
    for (const write of pending)
      lines.push(`  ${write.content === null ? 'remove ' : 'write  '}${write.path}  — ${write.why}`);
  }
  const ours = plan.writes.find((w) => w.path === plan.file && w.content !== null);
  if (ours && pending.includes(ours) && !result)
    lines.push(
      ...ours
        .content!.toString()
        .trimEnd()
        .split('\n')
        .map((line) => pc.dim(`    | ${line}`)),
    );
  lines.push(pc.bold('at boot:'));
  for (const row of plan.atBoot) {
    const ok = row.systemd.value === row.wanted && row.procps.value === row.wanted;
    const mark = ok ? pc.green('ok ') : pc.red('!! ');
    lines.push(
      `  ${mark}${row.key} = ${row.wanted}: systemd-sysctl ${describeBoot(row.systemd)}, sysctl --system ${describeBoot(row.procps)}`,
    );
  }
  if (plan.conflicts.length > 0) {
    lines.push(pc.bold('other files setting these keys:'));
    for (const c of plan.conflicts) lines.push(`  ${c.path}:${c.line}  ${c.key} = ${c.value}  — ${c.effect}`);
  }
  for (const warning of plan.warnings) lines.push(pc.yellow(`  ! ${warning}`));
  for (const note of plan.bootOrder) lines.push(`  ${note}`);
  for (const owner of owners) {
    lines.push(pc.yellow(`  ${owner.who}: ${owner.effect}`));
    lines.push(`    evidence: ${owner.evidence}`);
    lines.push(`    fix: ${owner.advice}`);
  }
  if (result?.reloaded.length)
    for (const change of result.reloaded)
      if (change.kind === 'sysctl')
        lines.push(`  reloaded ${change.key}: ${change.before} → ${change.after}`);
  if (result?.journalId) lines.push(`  journal ${result.journalId}: undo with  ${undo}`);
  return lines.join('\n');
}

function describeBoot(boot: BootValue): string {
  return `${boot.value ?? 'unset'}${boot.from ? ` (${boot.from})` : ''}`;
}

export function renderDrift(rows: DriftRow[], file: string | null): string {
  const lines = [
    file
      ? `ctdoctor file: ${file}`
      : 'no ctdoctor file in /etc/sysctl.d: checking nf_conntrack_max and buckets',
  ];
  for (const row of rows) {
    const mark = row.inSync ? pc.green('in sync') : pc.red('DRIFT  ');
    const boot = { value: row.atBoot, from: row.bootFrom };
    const appliersAgree = row.sysctlSystem.value === row.atBoot;
    lines.push(
      `  ${mark}  ${row.key}: runtime ${row.runtime ?? '-'}, at boot ${describeBoot(boot)}${appliersAgree ? '' : ` under systemd-sysctl but ${describeBoot(row.sysctlSystem)} under sysctl --system`}, ctdoctor ${row.ctdoctor ?? '-'}`,
    );
  }
  if (rows.some((row) => row.sysctlSystem.value !== row.atBoot))
    lines.push(
      '  fix: ctdoctor persist --fix-conflicts --apply (comments out the lines that win under sysctl --system)',
    );
  else if (rows.some((row) => !row.inSync))
    lines.push('  fix: ctdoctor persist --apply (and --reload to apply it now)');
  return lines.join('\n');
}
