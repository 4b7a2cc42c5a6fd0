import type { HelperPlanItem, HelperStatus } from '../core/plan/conntrackHelpers.js';
import type { HelpersResult } from '../core/plan/helpersResult.js';
import { pc } from './colors.js';

/** What is done with a helper, 8 columns wide: what to unload stands out, what is used is fine. */
function actionLabel(action: HelperPlanItem['action']): string {
  if (action === 'unload') return pc.yellow('unload  ');
  if (action === 'keep') return pc.green('in use  ');
  return pc.dim(action.padEnd(8));
}

function helperLines(item: HelperPlanItem, status: HelperStatus): string[] {
  return [
    `${actionLabel(item.action)} ${item.name.padEnd(11)} ${status.presence.padEnd(13)} ${item.reason}`,
    ...item.commands.map((command) => `          $ ${command}`),
  ];
}

/** `ctdoctor helpers`: one line per helper with the commands that unload it, then what was done. */
export function renderHelpersText(
  result: HelpersResult,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  const lines = result.plan.flatMap((item, i) => helperLines(item, result.helpers[i]!));
  if (!result.plan.some((item) => item.action === 'unload')) lines.push('nothing to unload');
  else if (!result.applied) lines.push('plan only: add --apply');
  if (result.journalId) lines.push(`journal ${result.journalId}: undo with  ${undo}`);
  return lines.join('\n');
}

/** `helpers --json` (ctdoctor.helpers/v1). */
export function helpersJson(result: HelpersResult) {
  return {
    schema: 'ctdoctor.helpers/v1',
    helpers: result.helpers,
    plan: result.plan,
    applied: result.applied,
    journalId: result.journalId,
  };
}
