import type { ConntrackSettings } from '../core/conntrackSettings.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { type Collected, collect } from './collector.js';

/** Every nf_conntrack_* sysctl of the namespace: limits and timeouts (absent: not loaded). */
export function conntrackSettings(files: NetnsFiles): Promise<Collected<ConntrackSettings>> {
  return collect('timeouts and limits', () => readConntrackSettings(files));
}
