import type { KeyOwnerEvidence } from '../core/plan/keyOwnerAdvice.js';
import { detectKeyOwners } from '../host/keyOwners.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/** kube-proxy, tuned or a container that sets nf_conntrack_max behind sysctl.d's back: evidence only. */
export function keyOwners(
  root: string,
  roots: HostRoots,
  cpus: number,
  initialNetns: boolean,
): Promise<Collected<KeyOwnerEvidence[]>> {
  return collect('key owners', () => detectKeyOwners(root, roots, cpus, initialNetns));
}
