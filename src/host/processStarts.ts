import { readFile, readdir } from 'node:fs/promises';
import { PROC_CLOCK_TICKS_PER_SECOND, parseProcStat } from '../core/procStat.js';
import type { ProcessStart } from '../core/settingsDrift.js';
import { bootTimeMs } from './kernelLogSource.js';
import { type HostRoots, procPath } from './roots.js';

/**
 * Every process with its comm and start time. A process that exits while the list is read is left
 * out; the boot time comes from /proc/uptime, as the kernel log's times do.
 */
export async function listProcessStarts(roots: HostRoots): Promise<ProcessStart[]> {
  const bootMs = await bootTimeMs(roots);
  if (bootMs === undefined) return [];
  const pids = (await readdir(procPath(roots, '.')).catch(() => [])).filter((name) => /^\d+$/.test(name));
  const starts = await Promise.all(
    pids.map(async (pid) => {
      const stat = parseProcStat(await readFile(procPath(roots, `${pid}/stat`), 'utf8').catch(() => ''));
      return stat
        ? [
            {
              pid: Number(pid),
              comm: stat.comm,
              startedAtMs: bootMs + (stat.startTicks / PROC_CLOCK_TICKS_PER_SECOND) * 1000,
            },
          ]
        : [];
    }),
  );
  return starts.flat();
}
