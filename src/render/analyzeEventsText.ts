import type { EventLogCount, EventLogReport } from '../core/events/eventLogReport.js';
import { pc } from './colors.js';
import { formatCount, formatPercent, formatPerSecond } from './format.js';
import { renderColumns } from './table.js';

/** Counts from a sketch that evicted keys are upper bounds: shown as "≤ N". */
function bound(row: EventLogCount): string {
  return row.errorEntries > 0 ? '≤ ' : '';
}

/** A row's figures: the rate when the log has one, the count, the share of all new entries. */
function figures(row: EventLogCount): string[] {
  const rate = row.newPerSecond === null ? [] : [`${bound(row)}${formatPerSecond(row.newPerSecond)}`];
  return [...rate, `${bound(row)}${formatCount(row.newEntries)}`, formatPercent(row.shareOfNew)];
}

function section(title: string, rows: string[][]): string[] {
  if (rows.length === 0) return [];
  return [`  ${pc.bold(title)}`, ...renderColumns(rows, new Set([1, 2, 3])).map((line) => `    ${line}`)];
}

function signed(rate: number): string {
  return `${rate >= 0 ? '+' : '-'}${formatPerSecond(Math.abs(rate))}`;
}

/** What was read, over how long, and the log's totals (per second when it has timestamps). */
function headline(report: EventLogReport): string[] {
  const { events, span } = report;
  const over = span
    ? ` over ${span.seconds.toFixed(span.seconds < 10 ? 2 : 0)} s (${span.firstAt} → ${span.lastAt})`
    : '';
  const first = `conntrack -E log ${report.source.description}: ${formatCount(events.new)} new, ${formatCount(events.update)} updated, ${formatCount(events.destroy)} destroyed${over}`;
  if (report.newPerSecond === null || report.destroyPerSecond === null || report.netGrowthPerSecond === null)
    return [
      first,
      `  ${pc.yellow('no rates:')} ${report.ratesUnavailable}; net ${report.netGrowth >= 0 ? '+' : ''}${formatCount(report.netGrowth)} entries`,
    ];
  return [
    first,
    `  new ${formatPerSecond(report.newPerSecond)}  destroyed ${formatPerSecond(report.destroyPerSecond)}  net ${signed(report.netGrowthPerSecond)}`,
  ];
}

/** For 3 a.m.: who created the entries first, then where they went, then what the log could not say. */
export function renderEventLogText(report: EventLogReport): string {
  const lost =
    report.lostEventWarnings > 0
      ? [`  ${pc.yellow(`LOST EVENTS: ${report.lostEventWarnings} ENOBUFS warnings in the log`)}`]
      : [];
  const unreadable =
    report.lines.unreadable > 0
      ? [
          `  ${formatCount(report.lines.unreadable)} ${report.lines.unreadable === 1 ? 'line' : 'lines'} could not be read; ${report.lines.unreadableExample}`,
        ]
      : [];
  const byProtocol = report.byProtocol
    .map(
      (row) =>
        `${row.protocol} ${row.newPerSecond === null ? formatCount(row.newEntries) : formatPerSecond(row.newPerSecond)} (${formatPercent(row.shareOfNew)})`,
    )
    .join(', ');
  return [
    ...headline(report),
    ...lost,
    ...section(
      'top creators (new entries by source)',
      report.topSources.map((row) => [row.source, ...figures(row)]),
    ),
    ...section(
      'by destination',
      report.topDestinations.map((row) => [
        `${row.destination}${row.port === null ? '' : `:${row.port}`}/${row.protocol}`,
        ...figures(row),
      ]),
    ),
    ...(byProtocol ? [`  ${pc.bold('by protocol')}  ${byProtocol}`] : []),
    ...report.notes.map((note) => `  note: ${note}`),
    ...unreadable,
  ].join('\n');
}
