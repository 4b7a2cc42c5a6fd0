import type { PerfDatum } from '../core/check.js';

/**
 * Decimals kept in performance data: a rate of one drop in a day (1.2e-5/s) still reads as above
 * zero, and float noise (`0.29 * 100` is 28.999999999999996) is rounded away.
 */
const PERFDATA_DECIMALS = 6;

/**
 * A number as the plugin guidelines want it: plain decimal in the class [-0-9.], no exponent
 * (`String(1e23)` is "1e+23"), at most PERFDATA_DECIMALS decimals, no trailing zeros, no "-0".
 * Integers of any size print every digit; they are exact in a double, so they read back unchanged.
 */
export function formatPerfdataNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`perfdata value is not a finite number: ${value}`);
  if (Number.isInteger(value)) return BigInt(value).toString();
  // Not an integer, so |value| < 2^53 and toFixed prints no exponent.
  return value
    .toFixed(PERFDATA_DECIMALS)
    .replace(/\.?0+$/, '')
    .replace(/^-0$/, '0');
}

function field(value: number | null): string {
  return value === null ? '' : formatPerfdataNumber(value);
}

/** `label=value[UOM];[warn];[crit];[min];[max]`, trailing empty fields dropped (the guidelines allow it). */
export function renderPerfdata(perfdata: readonly PerfDatum[]): string {
  return perfdata
    .map((datum) => {
      const thresholds = [datum.warn, datum.crit, datum.min, datum.max]
        .map(field)
        .join(';')
        .replace(/;+$/, '');
      return `${datum.label}=${formatPerfdataNumber(datum.value)}${datum.uom}${thresholds ? `;${thresholds}` : ''}`;
    })
    .join(' ');
}

export interface PerfDatumJson {
  value: number;
  uom: PerfDatum['uom'];
  warn: number | null;
  crit: number | null;
  min: number | null;
  max: number | null;
}

/** Performance data keyed by label, each number the one the plugin line prints (rounded the same way). */
export function perfdataJson(perfdata: readonly PerfDatum[]): Record<string, PerfDatumJson> {
  const asPrinted = (value: number | null) => (value === null ? null : Number(formatPerfdataNumber(value)));
  return Object.fromEntries(
    perfdata.map((datum) => [
      datum.label,
      {
        value: Number(formatPerfdataNumber(datum.value)),
        uom: datum.uom,
        warn: asPrinted(datum.warn),
        crit: asPrinted(datum.crit),
        min: asPrinted(datum.min),
        max: asPrinted(datum.max),
      },
    ]),
  );
}
