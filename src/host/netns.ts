import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import type { NetnsIdentity } from '../core/status.js';
import { hasFixedInitialInode, initialNetnsInode } from './initialNetns.js';
import { type HostRoots, procPath } from './roots.js';

/** `ip netns add NAME` bind-mounts the namespace here (iproute2). */
export const IP_NETNS_DIR = '/run/netns';

export interface NetnsTarget extends NetnsIdentity {
  /** A file that refers to the namespace (for nsenter --net=). */
  path: string;
  /** True when it is the namespace this process runs in: read files directly, no nsenter. */
  isSelf: boolean;
  /** A process known to live in it (--netns PID): its /proc/PID/net files are the namespace's. */
  pid?: number;
}

async function inodeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

/** Resolves --netns NAME|PID|PATH to a namespace file; undefined spec = this process's namespace. */
export async function resolveNetns(spec: string | undefined, roots: HostRoots): Promise<NetnsTarget> {
  const selfPath = procPath(roots, 'self/ns/net');
  const selfInode = await inodeOf(selfPath);
  const initialInode = await initialNetnsInode(roots);
  let path: string;
  let name: string | undefined;
  let pid: number | undefined;
  if (spec === undefined) {
    path = selfPath;
  } else if (/^\d+$/.test(spec)) {
    path = procPath(roots, join(spec, 'ns/net'));
    pid = Number(spec);
  } else if (spec.includes('/')) {
    path = spec;
  } else {
    if (!/^[A-Za-z0-9_.-]+$/.test(spec)) {
      throw new CtdoctorError('usage', `--netns "${spec}" is not a namespace name, process id or path`);
    }
    path = join(IP_NETNS_DIR, spec);
    name = spec;
  }
  const inode = await inodeOf(path);
  if (inode === undefined) {
    if (spec === undefined) {
      // A fixture tree without ns files: the files read are the namespace; call it initial.
      return { path, inode: 0, initial: true, isSelf: true };
    }
    throw new CtdoctorError(
      'not-found',
      `network namespace "${spec}" not found (${path}): list them with "ip netns list" or "lsns -t net"`,
    );
  }
  return {
    path,
    inode,
    name,
    initial:
      initialInode === undefined ? hasFixedInitialInode(inode) || spec === undefined : inode === initialInode,
    isSelf: inode === selfInode,
    ...(pid !== undefined ? { pid } : {}),
  };
}
