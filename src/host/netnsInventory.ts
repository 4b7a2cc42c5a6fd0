import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { identifyWorkload } from '../core/doctor/workloadIdentity.js';
import { IP_NETNS_DIR } from './netns.js';
import { hasFixedInitialInode, initialNetnsInode } from './initialNetns.js';
import type { HostRoots } from './roots.js';
import type { NetnsInfo } from '../core/networkNamespace.js';

const MAX_PROCESSES_LISTED = 8;

/**
 * Every distinct network namespace: those of running processes (/proc/PID/ns/net) and those bound
 * by `ip netns` (/run/netns), deduplicated by inode.
 */
/** USER_HZ: the unit of /proc/PID/stat start times, 100 on every mainstream architecture (ABI). */
const USER_HZ = 100;

async function bootTimeMs(roots: HostRoots): Promise<number | null> {
  const stat = await readFile(join(roots.procRoot, 'stat'), 'utf8').catch(() => '');
  const btime = /^btime (\d+)$/m.exec(stat);
  return btime ? Number(btime[1]) * 1000 : null;
}

async function processStartMs(roots: HostRoots, pid: string, bootMs: number | null): Promise<number | null> {
  if (bootMs === null) return null;
  const stat = await readFile(join(roots.procRoot, pid, 'stat'), 'utf8').catch(() => '');
  // Field 22 (starttime) counts from the end of the parenthesised command name, which may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? bootMs + (ticks * 1000) / USER_HZ : null;
}

export async function listNetworkNamespaces(roots: HostRoots): Promise<NetnsInfo[]> {
  const byInode = new Map<number, NetnsInfo>();
  const bootMs = await bootTimeMs(roots);
  const initialInode = (await initialNetnsInode(roots)) ?? null;
  const pids = (await readdir(roots.procRoot).catch(() => [] as string[])).filter((name) =>
    /^\d+$/.test(name),
  );
  for (const pidText of pids) {
    const link = await readlink(join(roots.procRoot, pidText, 'ns/net')).catch(() => null);
    const inode = Number(/net:\[(\d+)\]/.exec(link ?? '')?.[1]);
    if (!inode) continue;
    let info = byInode.get(inode);
    if (!info) {
      info = {
        inode,
        initial: initialInode === null ? hasFixedInitialInode(inode) : inode === initialInode,
        names: [],
        path: join(roots.procRoot, pidText, 'ns/net'),
        pid: Number(pidText),
        processes: [],
        existsSinceMs: null,
      };
      byInode.set(inode, info);
    }
    const started = await processStartMs(roots, pidText, bootMs);
    if (started !== null && (info.existsSinceMs === null || started < info.existsSinceMs))
      info.existsSinceMs = started;
    if (info.processes.length < MAX_PROCESSES_LISTED) {
      // Kernel threads have an empty cmdline and say nothing about who uses the namespace.
      const cmdline = await readFile(join(roots.procRoot, pidText, 'cmdline'), 'utf8').catch(() => '');
      if (cmdline === '') continue;
      const [comm, cgroup] = await Promise.all([
        readFile(join(roots.procRoot, pidText, 'comm'), 'utf8').catch(() => '?'),
        readFile(join(roots.procRoot, pidText, 'cgroup'), 'utf8').catch(() => ''),
      ]);
      info.processes.push({ pid: Number(pidText), command: comm.trim(), workload: identifyWorkload(cgroup) });
    }
  }
  for (const name of await readdir(IP_NETNS_DIR).catch(() => [] as string[])) {
    const path = join(IP_NETNS_DIR, name);
    const inode = await stat(path).then(
      (s) => s.ino,
      () => null,
    );
    if (!inode) continue;
    const info = byInode.get(inode) ?? {
      inode,
      initial: initialInode === null ? hasFixedInitialInode(inode) : inode === initialInode,
      names: [],
      path,
      pid: null,
      processes: [],
      existsSinceMs: null,
    };
    const bound = await lstat(path).then(
      (s) => s.mtimeMs,
      () => null,
    );
    if (bound !== null && (info.existsSinceMs === null || bound < info.existsSinceMs))
      info.existsSinceMs = bound;
    // A bound name outlives any process: prefer it for entering the namespace.
    if (info.names.length === 0) info.path = path;
    info.names.push(name);
    byInode.set(inode, info);
  }
  return [...byInode.values()].sort((a, b) => Number(b.initial) - Number(a.initial) || a.inode - b.inode);
}
