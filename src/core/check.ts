import { LOSS_COUNTERS } from './counters.js';
import type { StatusReport, StatusThresholds } from './status.js';

/**
 * One performance-data metric of a monitoring-plugin check (Monitoring Plugins Development
 * Guidelines, "Performance data": 'label'=value[UOM];[warn];[crit];[min];[max]). `null` is a field
 * the guidelines let a plugin leave empty.
 */
export interface PerfDatum {
  label: string;
  value: number;
  /** '' is a plain count of things; '%' a percentage. */
  uom: '' | '%';
  warn: number | null;
  crit: number | null;
  min: number | null;
  max: number | null;
}

/**
 * The entry count at which the verdict (count / max >= ratio, core/status.ts) changes, computed with
 * that same comparison: `Math.floor(200 * 0.29)` is 57 (the product is 57.99999999999999), while
 * the verdict turns at 58.
 */
function fewestEntriesAtUsage(max: number, ratio: number): number {
  let count = Math.ceil(max * ratio);
  while (count > 0 && (count - 1) / max >= ratio) count--;
  while (count < max && count / max < ratio) count++;
  return count;
}

/**
 * The check's metrics for one status reading: entries against max, usage in percent, and the loss
 * rates (any loss is critical, so their crit threshold is 0) when the drop counters could be read.
 */
export function checkPerfdata(report: StatusReport, thresholds: StatusThresholds): PerfDatum[] {
  const perfdata: PerfDatum[] = [
    {
      label: 'entries',
      value: report.count,
      uom: '',
      warn: fewestEntriesAtUsage(report.max, thresholds.warnUsage),
      crit: fewestEntriesAtUsage(report.max, thresholds.critUsage),
      min: 0,
      max: report.max,
    },
    {
      label: 'usage',
      value: report.usage * 100,
      uom: '%',
      warn: thresholds.warnUsage * 100,
      crit: thresholds.critUsage * 100,
      min: 0,
      max: 100,
    },
  ];
  if (report.rates) {
    for (const name of LOSS_COUNTERS) {
      perfdata.push({
        label: `${name === 'drop' ? 'drops' : name}_per_s`,
        value: report.rates[name] ?? 0,
        uom: '',
        warn: null,
        crit: 0,
        min: 0,
        max: null,
      });
    }
  }
  return perfdata;
}
