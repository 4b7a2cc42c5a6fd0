import { readdir } from 'node:fs/promises';
import { type HostRoots, sysPath } from './roots.js';

/** NUMA nodes the kernel reports (1 when sysfs does not say). */
export async function countNumaNodes(roots: HostRoots): Promise<number> {
  const names = await readdir(sysPath(roots, 'devices/system/node')).catch(() => [] as string[]);
  return names.filter((name) => /^node\d+$/.test(name)).length || 1;
}
