import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import type { NetnsIdentity } from '../core/status.js';
import { optionalReadFailure } from './errnoReason.js';
import { hasFixedInitialInode, initialNetnsInode } from './initialNetns.js';
import { type HostRoots, isLiveProc, procPath } from './roots.js';

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

/** undefined when absent; `quiet` for ctdoctor's own namespace, which a fixture tree may not have. */
async function statNamespaceFile(path: string, quiet: boolean): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (quiet) return undefined;
    // Root can be refused too (seen here: a VM init that denies stat of its ns files).
    const hint = process.getuid?.() === 0 ? '' : ' (run as root)';
    const failure = optionalReadFailure(error, `cannot inspect network namespace ${path}`, hint);
    if (failure) throw failure;
    return undefined;
  }
}

/** Resolves --netns NAME|PID|PATH to a namespace file; undefined spec = this process's namespace. */
export async function resolveNetns(spec: string | undefined, roots: HostRoots): Promise<NetnsTarget> {
  if (spec !== undefined && !isLiveProc(roots)) {
    throw new CtdoctorError(
      'usage',
      `--netns needs the live /proc; with --proc-root ${roots.procRoot} use <root>/<pid> files instead`,
    );
  }
  const selfPath = procPath(roots, 'self/ns/net');
  const self = await statNamespaceFile(selfPath, true);
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
  const found = await statNamespaceFile(path, spec === undefined);
  if (found === undefined) {
    if (spec === undefined) {
      // A fixture tree without ns files: the files read are the namespace; call it initial.
      return { path, inode: 0, initial: true, isSelf: true };
    }
    throw new CtdoctorError(
      'not-found',
      `network namespace "${spec}" not found (${path}): list them with "ip netns list" or "lsns -t net"`,
    );
  }
  // Every namespace file is an inode of the one nsfs filesystem, as /proc/self/ns/net is: any other
  // device is an ordinary file. (Which kind of namespace it is only setns(2) tells: see nsenterFailure.)
  if (spec !== undefined && self !== undefined && found.dev !== self.dev) {
    throw new CtdoctorError(
      'usage',
      `--netns ${spec}: ${path} is not a network namespace (give an "ip netns" name, a process id, or a file such as /proc/PID/ns/net or /run/netns/NAME)`,
    );
  }
  const inode = found.ino;
  const selfInode = self?.ino;
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
