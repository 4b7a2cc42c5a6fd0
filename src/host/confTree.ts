import { lstat, readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ConfFile, SYSCTL_CONF, SYSCTL_DIRS } from '../core/plan/sysctlPrecedence.js';

/** An absolute system path under --root (a chroot-like prefix for tests and image builds). */
export function underRoot(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

async function readConf(root: string, dir: string, name: string): Promise<ConfFile> {
  const path = join(dir, name);
  const real = underRoot(root, path);
  let text: string | null = null;
  let realPath: string | undefined;
  try {
    const info = await lstat(real);
    if (info.isSymbolicLink()) {
      const link = await readlink(real);
      if (link === '/dev/null') return { dir, name, path, text: null };
      realPath = link.startsWith('/') ? link : resolve(dir, link);
    }
    text = await readFile(real, 'utf8');
  } catch {
    text = null;
  }
  return { dir, name, path, text, ...(realPath ? { realPath } : {}) };
}

/**
 * Every *.conf in the sysctl.d directories under `root`. /lib/sysctl.d is skipped where /lib is a
 * link to /usr/lib (merged /usr), as both systemd and procps then see the same files once.
 */
export async function readSysctlTree(root: string): Promise<{ files: ConfFile[]; sysctlConf: ConfFile }> {
  const files: ConfFile[] = [];
  const seenDirs = new Set<string>();
  for (const dir of SYSCTL_DIRS) {
    let resolved: string;
    try {
      resolved = await realpath(underRoot(root, dir));
    } catch {
      continue;
    }
    if (seenDirs.has(resolved)) continue;
    seenDirs.add(resolved);
    const names = (await readdir(resolved).catch(() => [] as string[]))
      .filter((name) => name.endsWith('.conf'))
      .sort();
    for (const name of names) files.push(await readConf(root, dir, name));
  }
  const sysctlConf = await readConf(root, '/etc', 'sysctl.conf');
  return { files, sysctlConf: { ...sysctlConf, path: SYSCTL_CONF } };
}
