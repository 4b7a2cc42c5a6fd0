import { readFile } from 'node:fs/promises';
import { cgroupMemoryFiles, limitHeadroomBytes } from '../core/cgroupMemory.js';
import { parseMeminfoBytes } from '../core/kernelInfo.js';
import { type HostRoots, procPath, sysPath } from './roots.js';

/**
 * Memory this process may still take: MemAvailable, or less when its cgroup (or an ancestor) has a
 * limit nearer. A level without limit files has no limit of its own (v2's root, a cgroup without
 * the memory controller); one whose files exist but cannot be read counts as no room, so that the
 * caller chooses the way that needs no memory.
 */
export async function memoryHeadroomBytes(roots: HostRoots): Promise<number> {
  const [meminfo, cgroups] = await Promise.all([
    readFile(procPath(roots, 'meminfo'), 'utf8'),
    readFile(procPath(roots, 'self/cgroup'), 'utf8'),
  ]);
  let headroom = parseMeminfoBytes(meminfo, 'MemAvailable');
  for (const files of cgroupMemoryFiles(cgroups)) {
    const limit = await readFile(sysPath(roots, files.limit), 'utf8').catch(absentAsUndefined);
    if (limit === undefined) continue;
    const usage = await readFile(sysPath(roots, files.usage), 'utf8');
    headroom = Math.min(headroom, limitHeadroomBytes(limit, usage) ?? headroom);
  }
  return headroom;
}

function absentAsUndefined(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
