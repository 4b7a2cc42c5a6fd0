import type { HelperStatus } from '../core/plan/conntrackHelpers.js';
import { readHelperStatus } from '../host/helperStatus.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import { type Collected, collect } from './collector.js';

/**
 * Conntrack helpers (ftp, sip, ...): loaded or built in, and the rules and expectations that use
 * them. `scanEntries` also lists the whole table for entries with a helper (slow on a big table).
 */
export function conntrackHelpers(
  files: NetnsFiles,
  roots: HostRoots,
  scanEntries: boolean,
): Promise<Collected<HelperStatus[]>> {
  return collect('helpers', () => readHelperStatus(files, roots, scanEntries));
}
