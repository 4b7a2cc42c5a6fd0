import { type StatusReport, type StatusThresholds, formatRate } from '../core/status.js';
import { formatPercent } from './format.js';

/** Monitoring-plugin exit codes (Nagios plugin guidelines; Icinga, Sensu, Zabbix agents). */
export const CHECK_EXIT = { ok: 0, warn: 1, crit: 2, unknown: 3 } as const;
const CHECK_WORD = { ok: 'OK', warn: 'WARNING', crit: 'CRITICAL' } as const;

function perfValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * `CONNTRACK CRITICAL - 100% used (200/200), 431 drops/s | entries=200;160;190;0;200 ...`
 * Performance data follows the plugin guidelines: label=value[UOM];warn;crit;min;max.
 */
export function renderCheckLine(report: StatusReport, thresholds: StatusThresholds): string {
  const drops = report.rates?.drop ?? 0;
  const parts = [`${formatPercent(report.usage)} used (${report.count}/${report.max})`];
  if (report.rates) parts.push(`${formatRate(drops)} drops/s`);
  const lossRates = ['early_drop', 'insert_failed'] as const;
  for (const name of lossRates) {
    const rate = report.rates?.[name] ?? 0;
    if (rate > 0) parts.push(`${formatRate(rate)} ${name}/s`);
  }
  if (report.statsUnavailable) parts.push('drop counters unavailable');
  const warnAt = Math.floor(report.max * thresholds.warnUsage);
  const critAt = Math.floor(report.max * thresholds.critUsage);
  const perf = [
    `entries=${report.count};${warnAt};${critAt};0;${report.max}`,
    `usage=${(report.usage * 100).toFixed(2)}%;${thresholds.warnUsage * 100};${thresholds.critUsage * 100};0;100`,
  ];
  if (report.rates) {
    perf.push(`drops_per_s=${perfValue(drops)};;0;0`);
    for (const name of lossRates) perf.push(`${name}_per_s=${perfValue(report.rates[name] ?? 0)};;0;0`);
  }
  return `CONNTRACK ${CHECK_WORD[report.verdict]} - ${parts.join(', ')} | ${perf.join(' ')}`;
}

export function renderCheckUnknown(message: string): string {
  return `CONNTRACK UNKNOWN - ${message.replace(/\|/g, '/')}`;
}
