import { type ConntrackStats, type CounterTotals, NETLINK_FIELD_TO_COUNTER } from './counters.js';
import { CtdoctorError } from './errors.js';
import { sumRows } from './statFile.js';

/**
 * Parses `conntrack -S` (conntrack-tools): one line per CPU, `cpu=N  name=value ...`, with whatever
 * attributes the kernel sent (newer tools also print `unknownN` for attributes they do not know).
 */
export function parseConntrackDashS(text: string): ConntrackStats {
  const perCpu: CounterTotals[] = [];
  const names: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu=')) continue;
    const row: CounterTotals = {};
    for (const pair of line.trim().split(/\s+/)) {
      const [rawName, rawValue] = pair.split('=');
      if (rawName === undefined || rawValue === undefined || rawName === 'cpu') continue;
      const value = Number(rawValue);
      if (!Number.isFinite(value)) {
        throw new CtdoctorError('bad-input', `conntrack -S printed a non-numeric value: ${pair}`);
      }
      const name = NETLINK_FIELD_TO_COUNTER[rawName] ?? rawName;
      if (!names.includes(name)) names.push(name);
      row[name] = value;
    }
    perCpu.push(row);
  }
  if (perCpu.length === 0) {
    throw new CtdoctorError('bad-input', 'conntrack -S printed no "cpu=" lines');
  }
  return { source: 'netlink', counterNames: names, perCpu, totals: sumRows(names, perCpu) };
}

/** Parses `conntrack -C`: a single decimal count. */
export function parseConntrackDashC(text: string): number {
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < 0) {
    throw new CtdoctorError('bad-input', `conntrack -C printed "${text.trim().slice(0, 40)}", not a count`);
  }
  return value;
}
