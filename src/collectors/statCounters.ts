import { type SampleOptions, type StatCounters, readStatCounters } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { type Collected, collect } from './collector.js';

/**
 * The per-CPU counters (drop, early_drop, insert_failed, ...) from /proc/net/stat/nf_conntrack or
 * netlink. Absent only when --source procfs names a file the kernel does not have; a tree without
 * the file and without netlink is data that says why (`statsUnavailable`).
 */
export function statCounters(files: NetnsFiles, options: SampleOptions): Promise<Collected<StatCounters>> {
  return collect('stat counters', () => readStatCounters(files, options));
}
