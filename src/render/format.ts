const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/**
 * 1,234,567. Not `toLocaleString('en-US')`: its first call loads ICU's locale data, ~27 ms of every
 * run that prints a count (~5 % of `analyze` on a million-entry dump, after the analysis).
 */
export function formatCount(value: number): string {
  const rounded = Math.round(value);
  // Past 1e21 (and for ∞) String() prints exponents: no count gets there, so ICU may load then.
  if (!(Math.abs(rounded) < 1e21)) return rounded.toLocaleString('en-US');
  const digits = String(Math.abs(rounded));
  const head = digits.length % 3 || 3;
  let grouped = digits.slice(0, head);
  for (let at = head; at < digits.length; at += 3) grouped += `,${digits.slice(at, at + 3)}`;
  return rounded < 0 ? `-${grouped}` : grouped;
}

export function formatPercent(ratio: number): string {
  const percent = ratio * 100;
  if (percent > 0 && percent < 0.1) return '<0.1%';
  // 99.86 % is not 100 %: a run that lost one flow in a thousand must not read as perfect.
  if (percent < 100 && percent >= 99.5) return `${Math.min(99.9, Math.floor(percent * 10) / 10).toFixed(1)}%`;
  return `${percent >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

export function formatPerSecond(rate: number): string {
  if (rate === 0) return '0/s';
  return `${rate >= 10 ? formatCount(rate) : rate.toFixed(1)}/s`;
}

export function netnsLabel(netns: { inode: number; initial: boolean; name?: string }): string {
  if (netns.initial) return 'host netns';
  return `netns ${netns.inode}${netns.name ? ` (${netns.name})` : ''}`;
}

/** 0.4 ms, 12 ms, 250 ms: three figures at most, a tenth only below ten. */
export function formatMilliseconds(value: number): string {
  return `${value >= 100 ? Math.round(value) : value.toFixed(value >= 10 ? 0 : 1)} ms`;
}
