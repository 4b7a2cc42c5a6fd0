import type { CapacityPlan } from '../core/plan/capacityPlan.js';
import { pc } from './colors.js';
import { formatBytes, formatCount, formatPercent, formatPerSecond, netnsLabel } from './format.js';
import { renderColumns } from './table.js';

/**
 * In reading order: what to set (max, buckets, memory), why (the classes), what kube-proxy would
 * set instead, what each --try would change, then the commands that make it so.
 */
export function renderPlan(plan: CapacityPlan): string {
  const r = plan.recommended;
  const lines = [
    pc.bold(
      `recommended nf_conntrack_max ${formatCount(r.max)}  buckets ${formatCount(r.buckets)}  memory at max ${formatBytes(r.memoryBytes)}`,
    ),
    `  predicted steady state ${formatCount(plan.predicted.entries)} live entries (× headroom ${r.headroom}); the count reads up to ${formatCount(plan.predicted.countUpToEntries)} before a GC pass; mean chain ${plan.predicted.meanChainLength.toFixed(2)} (${r.meanChainLengthAtMax.toFixed(1)} when full)`,
    `  buckets: ${r.bucketsRule}; memory: ${r.entryBytes} B per entry (${r.entryBytesSource === 'slabinfo' ? 'measured in /proc/slabinfo' : 'estimate'}) + 8 B per bucket`,
    `  load: ${formatPerSecond(plan.load.ratePerSecond)} new flows${loadSourceText(plan)}, ${netnsLabel(plan.netns)}, kernel ${plan.kernel}`,
    '',
    ...classTable(plan),
    '',
    kubeProxyLine(plan),
  ];
  if (plan.current)
    lines.push(
      `now: max ${formatCount(plan.current.max)}, buckets ${formatCount(plan.current.buckets)}, ${formatCount(plan.current.count)} entries${plan.current.coversPrediction ? ' (already covers the plan)' : ''}`,
    );
  if (plan.tries.length > 0) lines.push('', ...tryTable(plan));
  lines.push('', pc.bold('why:'), ...plan.reasons.map((reason) => `  - ${reason}`));
  for (const warning of plan.warnings) lines.push(pc.yellow(`  ! ${warning}`));
  lines.push('', pc.bold('to make it so (each prints its plan first; --apply does it):'));
  for (const command of plan.commands) lines.push(`  ${command}`);
  return lines.join('\n');
}

function loadSourceText(plan: CapacityPlan): string {
  return plan.load.kind === 'live'
    ? ` (measured over ${plan.load.seconds} s: ${formatPerSecond(plan.load.newPerSecond)} NEW events)`
    : ' (stated)';
}

function seconds(value: number): string {
  return `${Number(value.toFixed(value < 10 ? 2 : 0))} s`;
}

function classTable(plan: CapacityPlan): string[] {
  const rows = [
    ['class', 'new/s', 'life', 'final timeout', 'held', 'entries', 'share'],
    ...plan.classes.map((row) => [
      row.class,
      formatPerSecond(row.ratePerSecond),
      `${seconds(row.lifeSeconds)}${row.lifeSource === 'default' ? ' (default)' : row.lifeSource === 'measured' ? ' (measured)' : ''}`,
      `${row.finalTimeout.name} ${row.finalTimeout.seconds} s`,
      seconds(row.heldSeconds),
      formatCount(row.entries),
      formatPercent(row.share),
    ]),
    ['total', formatPerSecond(plan.load.ratePerSecond), '', '', '', formatCount(plan.predicted.entries), ''],
  ];
  return renderColumns(rows, new Set([1, 5, 6])).map((line, index) => (index === 0 ? pc.bold(line) : line));
}

function kubeProxyLine(plan: CapacityPlan): string {
  const k = plan.kubeProxy;
  return `kube-proxy (defaults) on this node would set max ${formatCount(k.max)}, hashsize ${formatCount(k.buckets)}: ${k.why}`;
}

function tryTable(plan: CapacityPlan): string[] {
  const rows = [
    ['--try', 'entries', 'change', 'recommended max', 'command'],
    ...plan.tries.map((effect) => [
      effect.change,
      formatCount(effect.entries),
      `${effect.deltaEntries <= 0 ? '' : '+'}${formatCount(effect.deltaEntries)} (${formatPercent(Math.abs(effect.deltaEntries) / Math.max(plan.predicted.entries, 1))})`,
      formatCount(effect.recommendedMax),
      effect.command,
    ]),
  ];
  return renderColumns(rows, new Set([1, 3])).map((line, index) => (index === 0 ? pc.bold(line) : line));
}
