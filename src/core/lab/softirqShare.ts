/** The `cpu` line of /proc/stat: every tick, and the softirq ones (field 7). */
export interface CpuTicks {
  total: number;
  softirq: number;
}

export function parseCpuTicks(procStat: string): CpuTicks | null {
  const line = procStat.split('\n').find((item) => item.startsWith('cpu '));
  const fields = line?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 7 || fields.some((value) => !Number.isFinite(value))) return null;
  // guest and guest_nice (fields 9, 10) are already counted in user and nice.
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return { total, softirq: fields[6]! };
}

/** Softirq's share of all CPU time between two readings, in percent (the host's, not only the lab's). */
export function softirqPercent(before: CpuTicks | null, after: CpuTicks | null): number | null {
  if (!before || !after || after.total <= before.total) return null;
  return ((after.softirq - before.softirq) / (after.total - before.total)) * 100;
}
