import { join } from 'node:path';

/**
 * Where the kernel's files are. Default /proc and /sys; a fixture tree or a host /proc mounted
 * into a container (e.g. --proc-root /host/proc) works the same way, as in prometheus/procfs.
 */
export interface HostRoots {
  procRoot: string;
  sysRoot: string;
}

export const DEFAULT_ROOTS: HostRoots = { procRoot: '/proc', sysRoot: '/sys' };

export function isLiveProc(roots: HostRoots): boolean {
  return roots.procRoot === '/proc';
}

export function procPath(roots: HostRoots, relative: string): string {
  return join(roots.procRoot, relative);
}

export function sysPath(roots: HostRoots, relative: string): string {
  return join(roots.sysRoot, relative);
}
