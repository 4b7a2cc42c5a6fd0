import type { NotrackResult } from '../core/plan/notrackResult.js';
import { notrackTag } from '../core/firewall/notrackRules.js';
import { pc } from './colors.js';
import { formatCount, formatPercent } from './format.js';

export function renderNotrackText(
  result: NotrackResult,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  const { spec, effect, mode } = result;
  const lines = [
    `${notrackTag(spec)} on ${result.backend}${result.netnsPath === null ? '' : ` in ${result.netnsPath}`}`,
  ];
  if (effect)
    lines.push(
      `  now: ${formatCount(effect.entries)} of ${formatCount(effect.total)} entries (${formatPercent(effect.total ? effect.entries / effect.total : 0)}) are ${spec.proto}/${spec.port}: what exempting it frees`,
    );
  for (const step of result.steps)
    lines.push(
      `  ${step.present ? pc.dim('present') : mode === 'remove' ? '       ' : pc.green('add    ')} ${step.description}`,
    );
  for (const concern of result.concerns) {
    const refuse = concern.severity === 'refuse';
    lines.push((refuse ? pc.red : pc.yellow)(`  ${refuse ? 'REFUSED' : 'warning'}: ${concern.problem}`));
    if (concern.fix) lines.push(`    add first: ${concern.fix}`);
  }
  lines.push(outcomeLine(result, undo));
  return lines.join('\n');
}

function outcomeLine({ refused, change, mode }: NotrackResult, undo: string): string {
  if (refused) return pc.red('  nothing changed: fix the ruleset first, or --force');
  if (!change) return '  plan only: add --apply';
  if (change.changed.length === 0) return '  nothing to change: already in place';
  return pc.green(
    `  ${mode === 'remove' ? 'removed' : 'added'} ${change.changed.length} rule(s); journal ${change.journalId}: undo with  ${undo}`,
  );
}

/** `notrack --json`: ctdoctor.notrack/v1. */
export function notrackJson(result: NotrackResult) {
  return {
    schema: 'ctdoctor.notrack/v1',
    spec: result.spec,
    backend: result.backend,
    steps: result.steps,
    concerns: result.concerns,
    effect: result.effect,
    refused: result.refused,
    applied: result.change !== null,
    ...(result.change ?? {}),
  };
}
