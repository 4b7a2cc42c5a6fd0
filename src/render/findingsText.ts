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
  for (const command of finding.commands) lines.push(`${indent}     $ ${command}`);
  return lines;
}
