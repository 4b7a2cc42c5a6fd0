import type { NetnsInfo } from '../core/networkNamespace.js';
import { listNetworkNamespaces } from '../host/netnsInventory.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/**
 * Namespaces inventory with workload identity: every network namespace of a process or an `ip netns`
 * name, with a few of its processes and the container or pod their cgroup names.
 */
export function networkNamespaces(roots: HostRoots): Promise<Collected<NetnsInfo[]>> {
  return collect('namespaces', () => listNetworkNamespaces(roots));
}
