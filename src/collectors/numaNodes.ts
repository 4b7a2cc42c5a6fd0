import { countNumaNodes } from '../host/numaNodes.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/** NUMA nodes from /sys/devices/system/node (1 when sysfs does not say). */
export function numaNodes(roots: HostRoots): Promise<Collected<number>> {
  return collect('numa nodes', () => countNumaNodes(roots));
}
