import type { KernelLogRecord } from '../core/doctor/kernelLog.js';
import { CtdoctorError } from '../core/errors.js';
import { readKernelLog } from '../host/kernelLogSource.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/** The kernel log's records from /dev/kmsg, dmesg or journalctl -k; absent when none can be read. */
export function kernelLog(
  roots: HostRoots,
): Promise<Collected<{ source: string; records: KernelLogRecord[] }>> {
  return collect('kernel log', async () => {
    const log = await readKernelLog(roots);
    if (!log) throw new CtdoctorError('not-found', 'no /dev/kmsg, dmesg or journalctl access');
    return log;
  });
}
