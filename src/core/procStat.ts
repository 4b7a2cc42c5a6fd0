/** USER_HZ: /proc reports times in clock ticks of 1/100 s on every architecture (proc(5)). */
export const PROC_CLOCK_TICKS_PER_SECOND = 100;

/**
 * `/proc/PID/stat` → its command name and start time (ticks since boot, field 22). The comm is in
 * parentheses and may itself hold spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): { comm: string; startTicks: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): field 22 is fields[19].
  const startTicks = Number(fields[19]);
  if (!Number.isFinite(startTicks)) return null;
  return { comm: text.slice(open + 1, close), startTicks };
}
