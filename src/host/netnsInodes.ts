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
export async function listNetnsInodes(
  roots: HostRoots,
  excludedPids: ReadonlySet<number> = new Set(),
): Promise<Map<number, NetnsInodeEntry>> {
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
  const links = await Promise.all(
    pids.map((pid) => readlink(join(roots.procRoot, pid, 'ns/net')).catch(() => null)),
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
  return byInode;
}
