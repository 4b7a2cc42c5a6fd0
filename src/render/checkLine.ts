import { type PerfDatum, checkPerfdata } from '../core/check.js';
import { type StatusReport, type StatusThresholds, type Verdict, formatRate } from '../core/status.js';
import { formatPercent } from './format.js';
import { perfdataJson, renderPerfdata } from './perfdata.js';

/** Monitoring-plugin exit codes (Nagios plugin guidelines; Icinga, Sensu, Zabbix agents). */
export const CHECK_EXIT = { ok: 0, warn: 1, crit: 2, unknown: 3 } as const;
const CHECK_WORD = { ok: 'OK', warn: 'WARNING', crit: 'CRITICAL', unknown: 'UNKNOWN' } as const;

/** What a check says, whatever it is printed as: the plugin line or `check --json`. */
export interface CheckOutcome {
  verdict: Verdict | 'unknown';
  /** The text between "CONNTRACK <STATUS> - " and the perfdata: one line, no '|'. */
  reason: string;
  perfdata: PerfDatum[];
}

export function checkOutcome(report: StatusReport, thresholds: StatusThresholds): CheckOutcome {
  const parts = [`${formatPercent(report.usage)} used (${report.count}/${report.max})`];
  if (report.rates) {
    parts.push(`${formatRate(report.rates.drop ?? 0)} drops/s`);
    for (const name of ['early_drop', 'insert_failed'] as const) {
      const rate = report.rates[name] ?? 0;
      if (rate > 0) parts.push(`${formatRate(rate)} ${name}/s`);
    }
  }
  if (report.statsUnavailable) parts.push('drop counters unavailable');
  return { verdict: report.verdict, reason: parts.join(', '), perfdata: checkPerfdata(report, thresholds) };
}

/**
 * A check that could not run (bad option, unreadable /proc, anything): UNKNOWN with the reason.
 * The reason is made one line without '|', which would start perfdata.
 */
export function unknownCheckOutcome(message: string): CheckOutcome {
  const reason = message
    .replace(/\|/g, '/')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return { verdict: 'unknown', reason, perfdata: [] };
}

/**
 * `CONNTRACK CRITICAL - 100% used (200/200), 431 drops/s | entries=200;160;190;0;200 ...`
 * Performance data follows the plugin guidelines: label=value[UOM];warn;crit;min;max.
 */
export function renderCheckLine(outcome: CheckOutcome): string {
  const perfdata = outcome.perfdata.length > 0 ? ` | ${renderPerfdata(outcome.perfdata)}` : '';
  return `CONNTRACK ${CHECK_WORD[outcome.verdict]} - ${outcome.reason}${perfdata}`;
}

/** `check --json`: the same outcome as the plugin line, its perfdata as numbers (README lists the fields). */
export function checkJson(outcome: CheckOutcome) {
  return {
    schema: 'ctdoctor.check/v1',
    status: CHECK_WORD[outcome.verdict],
    exitCode: CHECK_EXIT[outcome.verdict],
    reason: outcome.reason,
    perfdata: perfdataJson(outcome.perfdata),
  };
}
