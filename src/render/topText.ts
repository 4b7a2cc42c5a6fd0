import type { ChurnRate, TopInterval } from '../core/events/churn.js';
import { formatCount, formatPerSecond, netnsLabel } from './format.js';
import { renderColumns } from './table.js';

/** Rates from a sketch that evicted keys are upper bounds: shown as "≤ N/s". */
function rateText(rate: ChurnRate): string {
  return `${rate.errorPerSecond > 0 ? '≤ ' : ''}${formatPerSecond(rate.newPerSecond)}`;
}

function timeLeftText(seconds: number | null): string {
  if (seconds === null) return 'not filling';
  if (seconds < 120) return `full in ${Math.round(seconds)} s`;
  if (seconds < 7200) return `full in ${Math.round(seconds / 60)} min`;
  return `full in ${(seconds / 3600).toFixed(1)} h`;
}

function section(title: string, rows: string[][]): string[] {
  if (rows.length === 0) return [];
  return ['', `  ${title}`, ...renderColumns(rows, new Set([1])).map((line) => `    ${line}`)];
}

export function renderTopText(report: TopInterval): string {
  const table = report.table
    ? `${formatCount(report.table.count)} / ${formatCount(report.table.max)} entries, ${timeLeftText(report.secondsUntilFull)}`
    : 'table size unknown';
  const lost =
    report.lostEventWarnings > 0
      ? `  LOST EVENTS: ${report.lostEventWarnings} ENOBUFS warnings this interval (${report.lostEventWarningsTotal} in all): rates are low`
      : `  lost events: none (${report.lostEventWarningsTotal} warnings in all)`;
  return [
    `${report.startedAt}  ${report.intervalSeconds.toFixed(1)} s  (${netnsLabel(report.netns)})`,
    `  new ${formatPerSecond(report.newPerSecond)}  destroyed ${formatPerSecond(report.destroyPerSecond)}  net ${report.netGrowthPerSecond >= 0 ? '+' : ''}${formatPerSecond(report.netGrowthPerSecond)}  ${table}`,
    lost,
    ...section(
      'new entries by source',
      report.topSources.map((row) => [row.source, rateText(row)]),
    ),
    ...section(
      'by destination',
      report.topDestinations.map((row) => [
        `${row.destination}${row.port === null ? '' : `:${row.port}`}/${row.protocol}`,
        rateText(row),
      ]),
    ),
    ...section(
      'by protocol',
      report.byProtocol.map((row) => [row.protocol, rateText(row)]),
    ),
  ].join('\n');
}
