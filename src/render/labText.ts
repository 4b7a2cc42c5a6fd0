import { type LabReport, type TuningResult, heldTheLoad } from '../core/lab/labResult.js';
import { pc } from './colors.js';
import { formatBytes, formatCount, formatMilliseconds, formatPercent } from './format.js';
import { LAB_TOPOLOGY_MEANING } from '../core/lab/routerTopology.js';
import { anyHelpers, helpersDidText, labWorkloadText } from './labWorkload.js';
import { renderColumns } from './table.js';

function timeoutsLine(report: LabReport): string {
  if (report.baseTimeouts.length === 0) return "timeouts: the kernel's own (--timeouts kernel)";
  const shortened = report.baseTimeouts.map(
    (item) =>
      `${item.name} ${item.seconds} s${item.kernelDefault === null ? '' : ` (kernel ${item.kernelDefault} s)`}`,
  );
  return `timeouts shortened for the lab, so the table is steady in seconds (entries scale with them): ${shortened.join(', ')}`;
}

function row(run: TuningResult, withHelpers: boolean): string[] {
  const pool = run.longPool;
  const helperCell = withHelpers ? [formatCount(run.helpers.entriesPeak)] : [];
  return [
    run.label,
    formatCount(run.drops.total),
    run.successRatio === null ? '–' : formatPercent(run.successRatio),
    formatCount(run.failedConnects),
    run.setupMs ? formatMilliseconds(run.setupMs.p99) : '–',
    formatCount(run.peakEntries),
    run.steady?.liveEntries == null ? '–' : formatCount(run.steady.liveEntries),
    formatBytes(run.memoryAtPeakBytes),
    pool ? `${pool.survived}/${pool.wanted}` : '–',
    run.resize ? formatMilliseconds(run.resize.stallMs) : '–',
    ...helperCell,
  ];
}

/**
 * What ran, the comparison (a row per tuning, in the order given), which tunings held the load, the
 * warnings, and that the machine-wide values are back.
 */
export function renderLabText(report: LabReport): string {
  const withHelpers = anyHelpers(report);
  const headings = [
    'tuning',
    'drops',
    'success',
    'failed connects',
    'p99 set-up',
    'peak entries',
    'steady live',
    'memory at peak',
    'pool alive',
    'resize stall',
    ...(withHelpers ? ['helper entries'] : []),
  ];
  const lines = [
    pc.bold(`lab: ${labWorkloadText(report)}, ${report.seconds} s per tuning, kernel ${report.kernel}`),
    ...(report.topology === 'router' ? [`  topology: ${LAB_TOPOLOGY_MEANING.router}`] : []),
    `  ${timeoutsLine(report)}`,
    '',
    ...renderColumns(
      [headings, ...report.runs.map((run) => row(run, withHelpers))],
      new Set(headings.map((_, index) => index).slice(1)),
    ).map((line, index) => (index === 0 ? pc.bold(line) : line)),
    '',
  ];
  const holding = report.runs.filter(heldTheLoad);
  if (report.runs.length > 0)
    lines.push(
      holding.length === 0
        ? pc.red('no tuning held this load: every one dropped or failed flows, or lost pool connections')
        : pc.green(
            `held the load (no drops, every flow answered, every pool connection alive): ${holding.map((run) => run.label).join('; ')}`,
          ),
    );
  for (const run of report.runs)
    if (run.resize)
      lines.push(
        `  "${run.label}": the hash went ${formatCount(run.resize.fromBuckets)} → ${formatCount(run.resize.toBuckets)} buckets with ${formatCount(run.resize.entries)} entries in ${formatMilliseconds(run.resize.stallMs)}`,
      );
  for (const run of report.runs)
    if (run.tuning.helpers.length > 0) lines.push(`  "${run.label}": ${helpersDidText(run)}`);
  for (const warning of report.warnings) lines.push(pc.yellow(`  ! ${warning}`));
  for (const change of report.globalChanges)
    lines.push(
      change.restored
        ? `machine-wide nf_conntrack_${change.setting} is back at ${formatCount(change.original)}`
        : pc.red(
            `machine-wide nf_conntrack_${change.setting} could NOT be restored to ${change.original}: set it by hand`,
          ),
    );
  if (report.interrupted) lines.push(pc.yellow('interrupted: the rows above cover the part that ran'));
  return lines.join('\n');
}
