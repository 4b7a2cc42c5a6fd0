import { pc } from './colors.js';
import type { DoctorReport } from '../core/reports/doctorReport.js';
import { severityLabel } from './findingsText.js';
import { formatCount, formatPercent, formatPerSecond } from './format.js';
import { colourVerdict } from './statusText.js';

export function renderDoctorText(report: DoctorReport): string {
  const lines = [colourVerdict(report.summary.verdict, report.summary.line), ''];
  const shown = report.findings.filter((f) => f.severity !== 'info');
  const info = report.findings.filter((f) => f.severity === 'info');
  for (const finding of [...shown, ...info]) {
    lines.push(`${severityLabel(finding.severity)} ${pc.bold(finding.title)}`);
    lines.push(`     ${finding.explanation}`);
    const evidence = Object.entries(finding.evidence)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    if (evidence) lines.push(pc.dim(`     ${evidence}`));
    for (const command of finding.fix.commands) lines.push(`     $ ${command}`);
    lines.push('');
  }
  lines.push(pc.bold('namespaces'));
  for (const ns of report.namespaces) {
    const who = ns.initial
      ? 'host'
      : `${ns.inode}${ns.names.length ? ` ${ns.names[0]}` : ''}${ns.processes[0] ? ` ${ns.processes[0].command}` : ''}`;
    const loss = (ns.rates?.drop ?? 0) + (ns.rates?.early_drop ?? 0) + (ns.rates?.insert_failed ?? 0);
    lines.push(
      `  ${who.padEnd(34)} ${ns.count === null ? 'unreadable' : `${formatCount(ns.count).padStart(9)} ${formatPercent(ns.usage ?? 0).padStart(5)}`}  ${loss > 0 ? pc.red(`${formatPerSecond(loss)} lost`) : ''}${ns.kernelLogMessages ? pc.yellow(` ${ns.kernelLogMessages} log msgs`) : ''}`,
    );
  }
  lines.push(
    pc.dim(
      `max ${formatCount(report.host.max)}, buckets ${formatCount(report.host.buckets)}, kernel ${report.host.kernel}`,
    ),
  );
  for (const skip of report.skipped) lines.push(pc.dim(`skipped: ${skip}`));
  return lines.join('\n');
}
