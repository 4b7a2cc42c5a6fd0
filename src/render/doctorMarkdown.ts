import type { DoctorReport } from '../core/reports/doctorReport.js';

const SEVERITY = { crit: 'CRITICAL', warn: 'WARNING', info: 'INFO' } as const;

function cell(text: string | number): string {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A report to paste into an incident ticket. */
export function renderDoctorMarkdown(report: DoctorReport): string {
  const lines = [
    `# ctdoctor report`,
    '',
    `**${cell(report.summary.line)}**`,
    '',
    `Generated ${report.generatedAt} on kernel ${report.host.kernel}: nf_conntrack_max ${report.host.max}, buckets ${report.host.buckets}.`,
    '',
  ];
  lines.push('## Findings', '');
  if (report.findings.length === 0) lines.push('No findings.', '');
  for (const finding of report.findings) {
    lines.push(`### ${SEVERITY[finding.severity]}: ${cell(finding.title)}`, '', finding.explanation, '');
    const evidence = Object.entries(finding.evidence);
    if (evidence.length > 0) {
      lines.push('| evidence | value |', '| --- | --- |');
      for (const [key, value] of evidence) lines.push(`| ${cell(key)} | ${cell(value)} |`);
      lines.push('');
    }
    if (finding.fix.commands.length > 0) lines.push('```sh', ...finding.fix.commands, '```', '');
  }
  lines.push(
    '## Network namespaces',
    '',
    '| netns | names | processes | entries | usage | lost/s | log messages |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const ns of report.namespaces) {
    const loss = (ns.rates?.drop ?? 0) + (ns.rates?.early_drop ?? 0) + (ns.rates?.insert_failed ?? 0);
    lines.push(
      `| ${ns.initial ? `${ns.inode} (host)` : ns.inode} | ${cell(ns.names.join(', ') || '-')} | ${cell(ns.processes.map((p) => `${p.command}[${p.pid}]`).join(', ') || '-')} | ${ns.count ?? '-'} | ${ns.usage === null ? '-' : `${(ns.usage * 100).toFixed(1)}%`} | ${loss.toFixed(0)} | ${ns.kernelLogMessages} |`,
    );
  }
  lines.push('');
  if (report.kernelLog) {
    lines.push(
      '## Kernel log',
      '',
      `Source: ${report.kernelLog.source}; ${report.kernelLog.suppressed} messages suppressed by rate limiting.`,
      '',
    );
    for (const entry of report.kernelLog.tableFull)
      lines.push(
        `- netns ${entry.netnsInode ?? 'initial'}: ${entry.messages} "table full" messages, ${entry.first} to ${entry.last}`,
      );
    lines.push('');
  }
  if (report.skipped.length > 0)
    lines.push('## Not examined', '', ...report.skipped.map((skip) => `- ${skip}`), '');
  return lines.join('\n');
}
