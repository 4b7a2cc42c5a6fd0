import { type ConntrackStats, type CounterTotals, PROCFS_HEADER_TO_COUNTER } from './counters.js';
import { CtdoctorError } from './errors.js';

const HEX_FIELD = /^[0-9a-fA-F]{1,16}$/;

/**
 * Parses /proc/net/stat/nf_conntrack: a header line naming the columns, then one hexadecimal row per
 * possible CPU. Columns are located by header name so any kernel's column set works.
 * `entries` is the namespace's count repeated on every row, so it is taken once, never summed.
 */
export function parseStatFile(text: string): ConntrackStats {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0]?.trim().split(/\s+/);
  if (!header || header.length === 0 || !header.includes('entries')) {
    throw new CtdoctorError(
      'bad-input',
      'nf_conntrack stat file has no header line with an "entries" column: is this /proc/net/stat/nf_conntrack?',
    );
  }
  const names = header.map((name) => PROCFS_HEADER_TO_COUNTER[name] ?? name);
  const perCpu: CounterTotals[] = [];
  let entries: number | undefined;
  for (const [index, line] of lines.slice(1).entries()) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== names.length || !fields.every((field) => HEX_FIELD.test(field))) {
      throw new CtdoctorError(
        'bad-input',
        `nf_conntrack stat file row ${index + 1} has ${fields.length} fields for ${names.length} header columns or a non-hex value`,
      );
    }
    const row: CounterTotals = {};
    names.forEach((name, column) => {
      const value = Number.parseInt(fields[column]!, 16);
      if (name === 'entries') entries = value;
      else row[name] = value;
    });
    perCpu.push(row);
  }
  if (perCpu.length === 0) {
    throw new CtdoctorError('bad-input', 'nf_conntrack stat file has a header but no CPU rows');
  }
  const counterNames = names.filter((name) => name !== 'entries');
  return { source: 'procfs', counterNames, perCpu, totals: sumRows(counterNames, perCpu), entries };
}

export function sumRows(names: string[], rows: CounterTotals[]): CounterTotals {
  const totals: CounterTotals = {};
  for (const name of names) totals[name] = rows.reduce((sum, row) => sum + (row[name] ?? 0), 0);
  return totals;
}
