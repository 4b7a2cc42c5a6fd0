import { readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hasFixedInitialInode, initialNetnsInode } from './initialNetns.js';
import { IP_NETNS_DIR } from './netns.js';
import type { HostRoots } from './roots.js';

/** One namespace as the cheap listing sees it: no cgroup, cmdline or start time read. */
export interface NetnsInodeEntry {
  inode: number;
  initial: boolean;
  /** A process in it (not one of `excludedPids`), whose /proc/PID/net files are the namespace's. */
  pid: number | null;
  /** Its `ip netns` names, sorted. */
  names: string[];
}

/**
 * Every network namespace by inode: one readlink of /proc/PID/ns/net per process and one stat per
 * /run/netns entry, nothing else (the full inventory, netnsInventory.ts, also reads each process's
 * stat, cmdline, comm and cgroup: most of a sample's cost on a node with a few hundred processes).
 * `excludedPids` are ctdoctor's own reader children: a namespace they alone are in is process-less.
 */
/** The cheap listing, and how many processes' namespaces it was not allowed to see. */
export interface NetnsInodeListing {
  byInode: Map<number, NetnsInodeEntry>;
  /**
   * Processes whose /proc/PID/ns/net could not be read for want of permission (not root and no
   * CAP_SYS_PTRACE, the process another user's): a namespace only they are in is not listed.
   */
  deniedProcesses: number;
}

const DENIED = new Set(['EACCES', 'EPERM']);

export async function listNetnsInodes(
  roots: HostRoots,
  excludedPids: ReadonlySet<number> = new Set(),
): Promise<NetnsInodeListing> {
  const byInode = new Map<number, NetnsInodeEntry>();
  const initialInode = await initialNetnsInode(roots);
  const entryOf = (inode: number, pid: number | null): NetnsInodeEntry => ({
    inode,
    initial: initialInode === undefined ? hasFixedInitialInode(inode) : inode === initialInode,
    pid,
    names: [],
  });
  const pids = (await readdir(roots.procRoot).catch(() => [] as string[])).filter(
    (name) => /^\d+$/.test(name) && !excludedPids.has(Number(name)),
  );
  let deniedProcesses = 0;
  const links = await Promise.all(
    pids.map((pid) =>
      readlink(join(roots.procRoot, pid, 'ns/net')).catch((error: NodeJS.ErrnoException) => {
        if (DENIED.has(error.code ?? '')) deniedProcesses++;
        return null; // else it exited meanwhile
      }),
    ),
  );
  links.forEach((link, i) => {
    const inode = Number(/net:\[(\d+)\]/.exec(link ?? '')?.[1]);
    if (inode && !byInode.has(inode)) byInode.set(inode, entryOf(inode, Number(pids[i])));
  });
  const names = (await readdir(IP_NETNS_DIR).catch(() => [] as string[])).sort();
  const inodes = await Promise.all(
    names.map((name) =>
      stat(join(IP_NETNS_DIR, name)).then(
        (s) => s.ino,
        () => null,
      ),
    ),
  );
  names.forEach((name, i) => {
    const inode = inodes[i];
    if (!inode) return;
    const entry = byInode.get(inode) ?? entryOf(inode, null);
    entry.names.push(name);
    byInode.set(inode, entry);
  });
  return { byInode, deniedProcesses };
}
