import { lstat, readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ConfFile, SYSCTL_CONF, SYSCTL_DIRS, type SysctlTree } from '../core/plan/sysctlPrecedence.js';
import { describeFileFailure } from './errnoReason.js';
import { requireDirectory } from './fileFailures.js';

/** An absolute system path under --root (a chroot-like prefix for tests and image builds). */
export function underRoot(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

/** --root must name an existing directory: a typo must not create a whole tree and say "written". */
export async function requireTreeRoot(root: string): Promise<void> {
  await requireDirectory(
    '--root',
    root,
    ": give the directory that holds the tree's etc/ (create it first for an image build)",
  );
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function readConf(root: string, dir: string, name: string): Promise<ConfFile> {
  const path = join(dir, name);
  const real = underRoot(root, path);
  let link: string | undefined;
  try {
    const info = await lstat(real);
    if (info.isSymbolicLink()) {
      link = await readlink(real);
      if (link === '/dev/null') return { dir, name, path, text: null, bytes: null };
    }
    // An absolute link (99-sysctl.conf -> /etc/sysctl.conf) names a file of the tree, not of the host.
    const target = link === undefined ? real : underRoot(root, realPathOf(dir, link).realPath!);
    const bytes = await readFile(target);
    return { dir, name, path, text: bytes.toString('utf8'), bytes, ...realPathOf(dir, link) };
  } catch (error) {
    const code = errorCode(error);
    // Unreadable is not absent: an EACCES drop-in may set the key, and the precedence answer with it.
    if (link === undefined && code !== 'ENOENT') throw await describeFileFailure(error, real, 'read');
    // Both appliers log "Too many levels of symbolic links" for a loop and skip the file; a dangling
    // link is skipped silently by systemd-sysctl, with "No such file or directory" by procps.
    const brokenLink =
      link === undefined
        ? undefined
        : code === 'ELOOP'
          ? `a symlink loop (→ ${link})`
          : code === 'ENOENT'
            ? `a dangling symlink (→ ${link})`
            : undefined;
    return {
      dir,
      name,
      path,
      text: null,
      bytes: null,
      ...realPathOf(dir, link),
      ...(brokenLink ? { brokenLink } : {}),
    };
  }
}

function realPathOf(dir: string, link: string | undefined): { realPath?: string } {
  if (link === undefined) return {};
  return { realPath: link.startsWith('/') ? link : resolve(dir, link) };
}

/**
 * Every *.conf in the sysctl.d directories under `root`. /lib/sysctl.d is skipped where /lib is a
 * link to /usr/lib (merged /usr), as both systemd and procps then see the same files once. A
 * directory that is a symlink loop is listed in `loopingDirs` (nothing can be read or written there).
 */
export async function readSysctlTree(root: string): Promise<SysctlTree & { loopingDirs: string[] }> {
  const files: ConfFile[] = [];
  const loopingDirs: string[] = [];
  const seenDirs = new Set<string>();
  for (const dir of SYSCTL_DIRS) {
    let resolved: string;
    try {
      resolved = await realpath(underRoot(root, dir));
    } catch (error) {
      if (errorCode(error) === 'ELOOP') loopingDirs.push(dir);
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
  return { files, sysctlConf: { ...sysctlConf, path: SYSCTL_CONF }, loopingDirs };
}
