import { pc } from './colors.js';
import type { MitigationResult } from '../actions/mitigate.js';
import type { MitigationPlan } from '../core/plan/mitigationPlan.js';
import { formatBytes, formatCount, formatPerSecond } from './format.js';

interface Before {
  count: number;
  max: number;
  buckets: number;
  lossPerSecond: number;
}

export function renderMitigation(
  before: Before,
  plan: MitigationPlan,
  result: MitigationResult | null,
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
  lines.push(
    result?.applied
      ? pc.bold('applied:')
      : pc.bold(`plan${result ? '' : ' (nothing changed; add --apply to do it)'}:`),
  );
  for (const change of plan.changes)
    lines.push(`  ${change.key.padEnd(36)} ${formatCount(change.from)} → ${pc.bold(formatCount(change.to))}`);
  const m = plan.memory;
  lines.push(
    `  memory at max: ${formatBytes(m.atMaxBytes)} (${m.entryBytes} B × ${formatCount(plan.target.max)} + 8 B × ${formatCount(plan.target.buckets)}), budget ${formatBytes(m.budgetBytes)} of ${formatBytes(m.memTotalBytes)} RAM`,
  );
  lines.push(pc.bold('why:'));
  for (const reason of plan.reasons) lines.push(`  - ${reason}`);
  for (const warning of plan.warnings) lines.push(pc.yellow(`  ! ${warning}`));
  if (result?.after) {
    const d = result.after.deltas;
    const verdict = result.relieved
      ? pc.green(pc.bold(`relief verified: no packets lost in ${result.after.seconds.toFixed(1)} s`))
      : pc.red(
          pc.bold(
            `still losing packets: drop ${d.drop}, early_drop ${d.early_drop}, insert_failed ${d.insert_failed} in ${result.after.seconds.toFixed(1)} s`,
          ),
        );
    lines.push(verdict);
    lines.push(`  journal ${result.journalId}: undo with  ${undo}`);
  }
  if (plan.changes.length > 0 && !plan.refusal) {
    lines.push(pc.bold(result?.applied ? 'next:' : 'raw equivalent:'));
    if (!result?.applied)
      for (const change of plan.changes) lines.push(`  sysctl -w ${change.key}=${change.to}`);
    lines.push(
      `  ctdoctor persist --max ${plan.target.max} --buckets ${plan.target.buckets} --apply   # survive reboots`,
    );
  }
  return lines.join('\n');
}
