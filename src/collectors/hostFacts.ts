import type { HostFacts } from '../core/hostFacts.js';
import { readHostFacts } from '../host/hostFacts.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/**
 * Kernel release, memory, slab entry size (/proc/slabinfo, else an estimate) and the module's
 * state: read once per command. Files it may not read (slabinfo needs root) are left out, not failed.
 */
export function hostFacts(roots: HostRoots): Promise<Collected<HostFacts>> {
  return collect('host facts', () => readHostFacts(roots));
}
