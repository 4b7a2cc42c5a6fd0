import { pc } from './colors.js';
import type { Finding, Severity } from '../core/analysis/findings.js';

const LABEL: Record<Severity, string> = { crit: 'CRIT', warn: 'WARN', info: 'INFO' };

export function severityLabel(severity: Severity): string {
  const label = LABEL[severity].padEnd(4);
  if (severity === 'crit') return pc.bold(pc.red(label));
  if (severity === 'warn') return pc.bold(pc.yellow(label));
  return pc.cyan(label);
}

export function renderFinding(finding: Finding, indent = '  '): string[] {
  const lines = [`${indent}${severityLabel(finding.severity)} ${finding.kind}: ${pc.bold(finding.subject)}`];
  lines.push(`${indent}     ${finding.advice}`);
  const evidence = Object.entries(finding.evidence)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  lines.push(`${indent}     ${pc.dim(evidence)}`);
  // Whom the finding accuses (what `block --from-findings` takes); no line when it accuses no one.
  if (finding.offenders?.length)
    lines.push(
      `${indent}     offenders: ${finding.offenders.map((o) => `${o.address} (${o.entries} entries, ${o.share})`).join(', ')}`,
    );
  for (const command of finding.commands) lines.push(`${indent}     $ ${command}`);
  return lines;
}
