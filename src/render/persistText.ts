import { pc } from './colors.js';
import type { KeyOwner } from '../core/plan/keyOwnerAdvice.js';
import { type PersistAudit, auditInSync } from '../core/plan/persistAudit.js';
import type { PersistReport } from '../core/plan/persistResult.js';
import type { FileWrite } from '../core/plan/persistPlan.js';
import type { BootValue } from '../core/plan/sysctlPrecedence.js';

export function renderPersist(
  report: PersistReport,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  const { plan, result } = report;
  const lines = writeLines(report);
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
  for (const owner of report.owners) lines.push(...ownerLines(owner));
  for (const change of result?.reloaded ?? [])
    if (change.kind === 'sysctl') lines.push(`  reloaded ${change.key}: ${change.before} → ${change.after}`);
  if (result?.journalId) lines.push(`  journal ${result.journalId}: undo with  ${undo}`);
  return lines.join('\n');
}

/** The files to write (or written), and ctdoctor's own file as it would read before it is written. */
function writeLines({ plan, pending, result }: PersistReport): string[] {
  if (pending.length === 0) return [pc.green('nothing to write: the files already hold these values')];
  const lines = [pc.bold(result ? 'written:' : 'plan (nothing written; add --apply to do it):')];
  for (const write of pending)
    lines.push(`  ${write.content === null ? 'remove ' : 'write  '}${write.path}  — ${write.why}`);
  const ours = plan.writes.find((w) => w.path === plan.file && w.content !== null);
  if (ours && pending.includes(ours) && !result)
    lines.push(
      ...ours
        .content!.toString()
        .trimEnd()
        .split('\n')
        .map((line) => pc.dim(`    | ${line}`)),
    );
  return lines;
}

function ownerLines(owner: KeyOwner): string[] {
  return [
    pc.yellow(`  ${owner.who}: ${owner.effect}`),
    `    evidence: ${owner.evidence}`,
    `    fix: ${owner.advice}`,
  ];
}

function describeBoot(boot: BootValue): string {
  return `${boot.value ?? 'unset'}${boot.from ? ` (${boot.from})` : ''}`;
}

/** `persist --json`: ctdoctor.persist/v1. */
export function persistJson({ plan, pending, owners, result }: PersistReport) {
  return {
    schema: 'ctdoctor.persist/v1',
    plan: { ...plan, writes: plan.writes.map(writeAsText) },
    pending: pending.map((w) => w.path),
    owners,
    applied: result !== null,
    ...(result ? { ...result, written: result.written.map(writeAsText) } : {}),
  };
}

/** An edited file's bytes, shown as text (the file itself is written byte for byte). */
function writeAsText(write: FileWrite) {
  return { ...write, content: write.content?.toString() ?? null };
}

export function renderDrift({ rows, file }: PersistAudit): string {
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

/** `persist --check --json`: ctdoctor.persist-check/v1. */
export function persistCheckJson(audit: PersistAudit) {
  return {
    schema: 'ctdoctor.persist-check/v1',
    inSync: auditInSync(audit),
    file: audit.file,
    rows: audit.rows,
    overridden: audit.overridden,
  };
}
