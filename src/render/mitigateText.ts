import { pc } from './colors.js';
import type { LossWindow } from '../core/lossWindow.js';
import type { MitigateReport, MitigationResult } from '../core/plan/mitigationResult.js';
import type { MitigationPlan } from '../core/plan/mitigationPlan.js';
import { formatBytes, formatCount, formatPerSecond } from './format.js';

export function renderMitigation(
  { before, plan, result }: MitigateReport,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  const lines: string[] = [];
  lines.push(
    `now: ${formatCount(before.count)} / ${formatCount(before.max)} entries, ${formatCount(before.buckets)} buckets, ${formatPerSecond(before.lossPerSecond)} lost (drop + early_drop + insert_failed)`,
  );
  if (plan.refusal) lines.push(pc.red(pc.bold(`REFUSED: ${plan.refusal}`)));
  if (plan.changes.length === 0)
    lines.push(pc.green('nothing to change: the table is already at the target size'));
  lines.push(...planLines(plan, result));
  if (result?.after)
    lines.push(
      verdictLine(result.after, result.relieved),
      `  journal ${result.journalId}: undo with  ${undo}`,
    );
  lines.push(...nextLines(plan, result));
  return lines.join('\n');
}

/** The changes, the memory they commit, and why. */
function planLines(plan: MitigationPlan, result: MitigationResult | null): string[] {
  const lines = [
    result?.applied
      ? pc.bold('applied:')
      : pc.bold(`plan${result ? '' : ' (nothing changed; add --apply to do it)'}:`),
  ];
  for (const change of plan.changes)
    lines.push(`  ${change.key.padEnd(36)} ${formatCount(change.from)} → ${pc.bold(formatCount(change.to))}`);
  const m = plan.memory;
  lines.push(
    `  memory at max: ${formatBytes(m.atMaxBytes)} (${m.entryBytes} B × ${formatCount(plan.target.max)} + 8 B × ${formatCount(plan.target.buckets)}), budget ${formatBytes(m.budgetBytes)} of ${formatBytes(m.memTotalBytes)} RAM`,
  );
  lines.push(pc.bold('why:'));
  for (const reason of plan.reasons) lines.push(`  - ${reason}`);
  for (const warning of plan.warnings) lines.push(pc.yellow(`  ! ${warning}`));
  return lines;
}

/** Whether the loss counters stood still over the verification window after the change. */
function verdictLine({ deltas: d, seconds }: LossWindow, relieved: boolean | null): string {
  return relieved
    ? pc.green(pc.bold(`relief verified: no packets lost in ${seconds.toFixed(1)} s`))
    : pc.red(
        pc.bold(
          `still losing packets: drop ${d.drop}, early_drop ${d.early_drop}, insert_failed ${d.insert_failed} in ${seconds.toFixed(1)} s`,
        ),
      );
}

/** The raw sysctl commands of a plan, and the persist command that makes it survive a reboot. */
function nextLines(plan: MitigationPlan, result: MitigationResult | null): string[] {
  if (plan.changes.length === 0 || plan.refusal) return [];
  const lines = [pc.bold(result?.applied ? 'next:' : 'raw equivalent:')];
  if (!result?.applied)
    for (const change of plan.changes) lines.push(`  sysctl -w ${change.key}=${change.to}`);
  lines.push(
    `  ctdoctor persist --max ${plan.target.max} --buckets ${plan.target.buckets} --apply   # survive reboots`,
  );
  return lines;
}

/** `mitigate --json`: ctdoctor.mitigate/v1; a plan only is `applied: false`. */
export function mitigateJson({ before, plan, result }: MitigateReport) {
  return { schema: 'ctdoctor.mitigate/v1', before, plan, ...(result ?? { applied: false }) };
}
