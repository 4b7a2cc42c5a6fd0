import { pc } from './colors.js';
import { STATUS_COUNTERS } from '../core/counters.js';
import type { StatusReport, Verdict } from '../core/status.js';
import { formatBytes, formatCount, formatPercent, formatPerSecond, netnsLabel } from './format.js';

const VERDICT_LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'WARNING', crit: 'CRITICAL' };

export function colourVerdict(verdict: Verdict, text: string): string {
  if (verdict === 'crit') return pc.bold(pc.red(text));
  if (verdict === 'warn') return pc.bold(pc.yellow(text));
  return pc.bold(pc.green(text));
}

function usageBar(usage: number, width = 30): string {
  const filled = Math.min(width, Math.round(usage * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function renderStatusText(report: StatusReport): string {
  const lines: string[] = [];
  const headline =
    report.verdict === 'ok'
      ? 'conntrack table healthy'
      : report.verdict === 'warn'
        ? 'conntrack table filling up'
        : 'conntrack table in trouble: new flows are being dropped or soon will be';
  lines.push(
    `${colourVerdict(report.verdict, VERDICT_LABEL[report.verdict])}  ${headline}  (${netnsLabel(report.netns)}, kernel ${report.kernel})`,
  );
  lines.push('');
  lines.push(
    `  entries   ${formatCount(report.count)} / ${formatCount(report.max)}  ${formatPercent(report.usage)}  ${usageBar(report.usage)}`,
  );
  lines.push(
    `  buckets   ${formatCount(report.buckets)}  load ${report.loadFactor.toFixed(2)} entries/bucket (mean chain ${(2 * report.loadFactor).toFixed(2)}: each entry is hashed twice)`,
  );
  const m = report.memory;
  lines.push(
    `  memory    ${formatBytes(m.usedBytes)} now, ${formatBytes(m.atMaxBytes)} at max  (${m.entryBytes} B/entry ${m.entryBytesSource === 'slabinfo' ? 'from slabinfo' : 'estimated: slabinfo unreadable'} + 8 B/bucket)`,
  );
  if (report.counters) {
    lines.push(
      `  counters  (${report.statsSource}, per second over ${report.intervalSeconds.toFixed(1)} s / total since boot)`,
    );
    for (const name of STATUS_COUNTERS) {
      const total = report.counters[name];
      if (total === undefined) continue;
      const rate = report.rates?.[name] ?? 0;
      const text = `    ${name.padEnd(15)} ${formatPerSecond(rate).padStart(10)}   ${formatCount(total).padStart(14)}`;
      const isLoss = name === 'drop' || name === 'early_drop' || name === 'insert_failed';
      lines.push(isLoss && rate > 0 ? pc.red(text) : text);
    }
  }
  for (const finding of report.findings) {
    lines.push('');
    lines.push(`  ${finding.severity}: ${finding.title}  [${finding.id}]`);
    for (const command of finding.fix.commands) lines.push(`    $ ${command}`);
  }
  if (report.reasons.length > 0) {
    lines.push('');
    lines.push('  why:');
    for (const reason of report.reasons) lines.push(`    - ${reason}`);
  }
  if (report.verdict !== 'ok') {
    lines.push('');
    lines.push('  next:');
    lines.push('    ctdoctor doctor                 # what fills the table and the exact fix');
    lines.push('    ctdoctor analyze --top 10       # who holds the entries');
    lines.push('    ctdoctor mitigate               # plan a bigger table now (add --apply to do it)');
  }
  return lines.join('\n');
}
