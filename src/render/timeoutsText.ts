import type { TimeoutImpact } from '../core/plan/timeoutImpact.js';
import type { TimeoutRow } from '../core/plan/timeoutsPlan.js';
import type { TimeoutsResult, TimeoutsScan } from '../core/plan/timeoutsResult.js';
import { pc } from './colors.js';
import { formatCount } from './format.js';

/** `changed` where an operator (or a tool) moved a timeout off its default; `←` where ours differs. */
function timeoutLine(row: TimeoutRow): string {
  const differs = row.default !== null && row.current !== row.default;
  const advised = row.recommended !== null && row.recommended !== row.current;
  return `${row.name.padEnd(32)} ${String(row.current).padStart(9)} ${String(row.default ?? '-').padStart(9)} ${String(row.recommended ?? '-').padStart(12)}${differs ? pc.yellow('  (changed)') : ''}${advised ? pc.cyan('  ←') : ''}`;
}

function impactLines(impact: TimeoutImpact, entries: number): string[] {
  return [
    '',
    pc.bold(`${impact.name}: ${impact.currentSeconds} → ${impact.newSeconds} s`),
    `  governs ${formatCount(impact.governed)} of ${formatCount(entries)} entries; ${formatCount(impact.idleBeyondNew)} are already idle longer than ${impact.newSeconds} s`,
    "  existing timers do not shrink: the new value applies at each entry's next packet; --flush-idle deletes the idle ones now",
    ...Object.entries(impact.protectedFlows).map(([service, count]) =>
      pc.yellow(`  ${count} ${service} flows are governed by it`),
    ),
  ];
}

/** Each proposed value's impact on the table scanned; nothing without --set. */
function scanLines(scan: TimeoutsScan | null): string[] {
  return scan ? scan.impacts.flatMap((impact) => impactLines(impact, scan.entries)) : [];
}

/** What became of the proposed values: refused, applied (and how to undo it), or only planned. */
function outcomeLines(result: TimeoutsResult, undo: string): string[] {
  const { applied, refusal } = result;
  const lines: string[] = [];
  if (refusal) lines.push(pc.red(`REFUSED: ${refusal}`));
  if (applied)
    lines.push(
      pc.green(
        `applied${applied.flushed ? `, ${applied.flushed} idle entries flushed` : ''}; journal ${applied.journalId}: undo with ${undo}`,
      ),
    );
  else if (result.changes.length > 0 && !refusal) lines.push('plan only: add --apply');
  if (applied?.persisted.length) lines.push(pc.green(`persisted in ${applied.persisted.join(', ')}`));
  if (result.persistCommand) lines.push(`to make it stick: ${result.persistCommand}`);
  return lines;
}

/** `ctdoctor timeouts`: the table, then the impact of each --set value, then what was done. */
export function renderTimeoutsText(
  result: TimeoutsResult,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  return [
    pc.bold(
      `${'timeout'.padEnd(32)} ${'current'.padStart(9)} ${'default'.padStart(9)} ${'recommended'.padStart(12)}`,
    ),
    ...result.timeouts.map(timeoutLine),
    pc.dim(`recommended: ${result.basis}`),
    ...scanLines(result.scan),
    ...outcomeLines(result, undo),
  ].join('\n');
}

/** `timeouts --json` (ctdoctor.timeouts/v1): `applied` is a flag, what was applied its siblings. */
export function timeoutsJson(result: TimeoutsResult) {
  return {
    schema: 'ctdoctor.timeouts/v1',
    basis: result.basis,
    timeouts: result.timeouts,
    impacts: result.scan?.impacts ?? [],
    entries: result.scan?.entries ?? null,
    refusal: result.refusal,
    applied: result.applied !== null,
    ...(result.applied ?? {}),
    persistCommand: result.persistCommand,
  };
}
