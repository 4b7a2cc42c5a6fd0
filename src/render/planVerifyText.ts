import { heldTheLoad } from '../core/lab/labResult.js';
import type { VerifiedPlan } from '../core/lab/planVerification.js';
import { pc } from './colors.js';
import { formatCount, formatPercent } from './format.js';
import { renderPlan } from './planText.js';

/** The plan, then the lab's verdict on it: predicted and measured side by side. */
export function renderVerifiedPlan(plan: VerifiedPlan): string {
  const { measured, verify } = plan;
  // The ones the lab shortened: the JSON carries every timeout the run read back.
  const shortened = verify.lab.baseTimeouts.map((timeout) => `${timeout.name} ${timeout.seconds} s`);
  const timeouts = shortened.length > 0 ? shortened.join(', ') : "the kernel's";
  const error =
    verify.error === null
      ? 'not measured (the run ended before steady state)'
      : `${verify.error >= 0 ? '+' : ''}${(verify.error * 100).toFixed(1)}%`;
  const pool = measured.pool ? `, pool ${measured.pool.survived}/${measured.pool.wanted} alive` : '';
  const run = plan.verify.lab.runs[0];
  const held = run !== undefined && heldTheLoad(run);
  return [
    renderPlan(plan),
    '',
    pc.bold(
      `verified in the lab (${verify.seconds} s, max ${formatCount(verify.max)}${verify.scale < 1 ? `, rates × ${verify.scale.toFixed(3)}` : ''}; timeouts ${timeouts}):`,
    ),
    `  live entries  predicted ${formatCount(plan.predicted.entries)}  measured ${measured.entries === null ? '–' : formatCount(measured.entries)}  (${error})`,
    `  count peak    ${formatCount(measured.countPeak)} (the plan allows up to ${formatCount(plan.predicted.countUpToEntries)})`,
    `  ${held ? pc.green('held') : pc.red('did not hold')}: ${formatCount(measured.drops)} drops, ${measured.successRatio === null ? 'no answered flows' : `${formatPercent(measured.successRatio)} of flows answered`}${pool}`,
    ...plan.verify.lab.warnings.map((warning) => pc.yellow(`  ! ${warning}`)),
    '  (the plan above is for the lab’s timeouts and rates; run it without --verify for this host’s)',
  ].join('\n');
}
