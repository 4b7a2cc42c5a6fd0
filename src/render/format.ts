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

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
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
