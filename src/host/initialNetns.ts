import { stat } from 'node:fs/promises';
import { type HostRoots, procPath } from './roots.js';

/**
 * Namespaces created at run time get inode numbers from PROC_DYNAMIC_FIRST (0xF0000000) up; the
 * initial ones have fixed numbers just below it (include/linux/proc_ns.h; the network one is
 * 0xEFFFFFF9 = 4026531833 on recent kernels, seen on 6.18). Older kernels numbered init_net
 * dynamically, so a number above this proves nothing.
 */
const PROC_DYNAMIC_FIRST = 0xf0000000;

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

/** Whether `inode` is the initial namespace, when no reference process could be inspected (not root). */
export function hasFixedInitialInode(inode: number): boolean {
  return inode > 0 && inode < PROC_DYNAMIC_FIRST;
}
