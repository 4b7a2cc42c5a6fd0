import { stat } from 'node:fs/promises';
import { type HostRoots, procPath } from './roots.js';

/**
 * Inode of the initial network namespace. Kernel threads (kthreadd is PID 2) always live there;
 * PID 1 is the fallback, and may refuse even root (seen here: a VM init that denies stat).
 */
export async function initialNetnsInode(roots: HostRoots): Promise<number | undefined> {
  for (const pid of ['2', '1']) {
    try {
      return (await stat(procPath(roots, `${pid}/ns/net`))).ino;
    } catch {
      // try the next reference process
    }
  }
  return undefined;
}
