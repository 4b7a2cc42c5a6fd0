import { type TableSize, readTableSize } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { type Collected, collect } from './collector.js';

/** Table size and limits: nf_conntrack_count, _max and _buckets (absent: nf_conntrack not loaded). */
export function tableSize(files: NetnsFiles): Promise<Collected<TableSize>> {
  return collect('table size', () => readTableSize(files));
}
