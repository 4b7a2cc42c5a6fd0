import { pc } from './colors.js';
import type { RankedKey } from '../core/analysis/tableSummary.js';
import type { AnalysisReport } from '../core/reports/analysisReport.js';
import { renderFinding } from './findingsText.js';
import { formatCount, formatPercent } from './format.js';
import { renderColumns } from './table.js';

function rankedRows(title: string, items: RankedKey[], total: number): string[] {
  if (items.length === 0) return [];
  const rows = items.map((item) => [
    item.key,
    formatCount(item.count),
    formatPercent(total > 0 ? item.count / total : 0),
    item.error ? `±${formatCount(item.error)}` : '',
  ]);
  return [pc.bold(title), ...renderColumns(rows, new Set([1, 2])).map((line) => `  ${line}`)];
}

function breakdown(title: string, record: Record<string, number>, total: number): string {
  const parts = Object.entries(record)
    .slice(0, 8)
    .map(([key, count]) => `${key} ${formatCount(count)} (${formatPercent(total > 0 ? count / total : 0)})`);
  return `${pc.bold(title.padEnd(7))} ${parts.join(', ')}`;
}

/** What was read and how much of it: entries against max, the source, filter, sample, damage. */
function headerLines(report: AnalysisReport): string[] {
  const total = report.entries;
  const lines: string[] = [];
  const { malformed } = report;
  if (malformed.mostLines)
    lines.push(
      pc.yellow(
        `MOSTLY NOT CONNTRACK ENTRIES: ${formatCount(malformed.count)} malformed lines against ${formatCount(total)} entries; the first, ${malformed.example}`,
      ),
    );
  const of = report.max ? ` of max ${formatCount(report.max)} (${formatPercent(total / report.max)})` : '';
  lines.push(
    `${pc.bold(formatCount(total))} entries${of} from ${report.source.description}` +
      `${report.filter ? ` matching "${report.filter}" (of ${formatCount(report.scanned)})` : ''}` +
      `${report.sampled ? ` — a SAMPLE: the first ${formatCount(report.scanned)} entries; the rest was not read` : ''}`,
  );
  if (malformed.count > 0 && !malformed.mostLines)
    lines.push(
      pc.yellow(`${formatCount(malformed.count)} malformed lines skipped; the first, ${malformed.example}`),
    );
  if (report.repairedProtocolNames > 0)
    lines.push(
      pc.yellow(
        `${formatCount(report.repairedProtocolNames)} entries with a damaged protocol name (a line cut inside it) were read by the protocol number`,
      ),
    );
  return lines;
}

export function renderAnalyzeText(report: AnalysisReport): string {
  const total = report.entries;
  const lines = headerLines(report);
  lines.push('');
  if (report.findings.length > 0) {
    lines.push(pc.bold('Findings (most severe first)'));
    for (const finding of report.findings) lines.push(...renderFinding(finding));
  } else lines.push(pc.green('No findings: no scan, flood, TIME_WAIT pile or leaked pool stands out.'));
  lines.push('');
  lines.push(breakdown('proto', report.by.proto, total));
  lines.push(breakdown('state', report.by.state, total));
  lines.push(breakdown('flags', report.by.flags, total));
  if (Object.keys(report.by.nat).some((kind) => kind !== 'none'))
    lines.push(breakdown('nat', report.by.nat, total));
  if (Object.keys(report.by.zone).length > 1) lines.push(breakdown('zone', report.by.zone, total));
  if (Object.keys(report.by.mark).length > 1) lines.push(breakdown('mark', report.by.mark, total));
  lines.push(
    `${pc.bold('distinct')} ~${formatCount(report.distinct.src)} sources, ~${formatCount(report.distinct.dst)} destinations, ${formatCount(report.distinct.dport)} destination ports`,
  );
  lines.push('');
  lines.push(...rankedRows('Top sources', report.top.src, total));
  lines.push(...rankedRows('Top destinations', report.top.dst, total));
  lines.push(...rankedRows('Top destination ports', report.top.dport, total));
  lines.push(...rankedRows('Top source prefixes', report.top.srcPrefix, total));
  if (report.top.groupBy) lines.push(...rankedRows('Top groups', report.top.groupBy, total));
  if (!report.exact)
    lines.push(pc.dim('± = Space-Saving error bound: the true count is between count − error and count.'));
  lines.push(
    pc.dim(`analysed in ${report.durationMs} ms${report.workers > 1 ? ` on ${report.workers} threads` : ''}`),
  );
  return lines.join('\n');
}
