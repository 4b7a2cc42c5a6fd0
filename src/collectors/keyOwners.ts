import { type KeyOwner, detectKeyOwners } from '../host/keyOwners.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/** kube-proxy, tuned or a container that sets nf_conntrack_max behind sysctl.d's back. */
export function keyOwners(
  root: string,
  roots: HostRoots,
  cpus: number,
  initialNetns: boolean,
): Promise<Collected<KeyOwner[]>> {
  return collect('key owners', () => detectKeyOwners(root, roots, cpus, initialNetns));
}
