import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { CtdoctorError, isCtdoctorError } from '../core/errors.js';

/**
 * A local file operation takes milliseconds; one that has not finished after this long is stuck (a
 * hard-mounted NFS server that is gone, a FUSE daemon that hangs) and is abandoned with an error
 * naming the path, so an operator (or the daemon's loop) is not left waiting forever.
 */
export const FILE_DEADLINE_MS = 10_000;

/** Rejects with an error naming `path` when `operation` has not settled within `deadlineMs`. */
export async function withFileDeadline<T>(
  path: string,
  action: string,
  operation: Promise<T>,
  deadlineMs = FILE_DEADLINE_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CtdoctorError(
            'kernel',
            `cannot ${action} ${path}: no answer after ${deadlineMs / 1000} s (a hung network or FUSE mount?): check that filesystem, or choose another path`,
          ),
        ),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([operation, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one file operation under the deadline; a failure becomes one line naming the path and the fix. */
export async function fileOperation<T>(path: string, action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await withFileDeadline(path, action, run());
  } catch (error) {
    throw isCtdoctorError(error) ? error : await describeFileFailure(error, path, action);
  }
}

/**
 * What an errno means to an operator, with the fix. EEXIST and ENOTDIR from mkdir(2), open(2) and
 * friends mean some component of the path is a file where a directory must be; ELOOP that one is a
 * symlink loop: both name that component, not just the whole path.
 */
export async function describeFileFailure(
  error: unknown,
  path: string,
  action: string,
): Promise<CtdoctorError> {
  const code = (error as NodeJS.ErrnoException).code;
  const cause = { cause: error };
  switch (code) {
    case 'ENOENT':
      return new CtdoctorError('not-found', `cannot ${action} ${path}: it does not exist`, cause);
    case 'EACCES':
    case 'EPERM':
      return new CtdoctorError(
        'permission',
        `cannot ${action} ${path}: permission denied: needs root (run with sudo), or use a path you own`,
        cause,
      );
    case 'EROFS':
      return new CtdoctorError(
        'permission',
        `cannot ${action} ${path}: the filesystem is read-only: remount it read-write, or use another path`,
        cause,
      );
    case 'EEXIST':
    case 'ENOTDIR': {
      const file = await firstNonDirectory(path);
      return new CtdoctorError(
        'refused',
        `cannot ${action} ${path}: ${file ?? 'a parent'} is a file, not a directory: move it away, or use another path`,
        cause,
      );
    }
    case 'ELOOP': {
      const link = await firstLoop(path);
      return new CtdoctorError(
        'refused',
        `cannot ${action} ${path}: ${link ?? 'a component'} is a symlink loop: fix or remove that link`,
        cause,
      );
    }
    case 'EISDIR':
      return new CtdoctorError(
        'refused',
        `cannot ${action} ${path}: it is a directory, not a file: move it away`,
        cause,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new CtdoctorError('kernel', `cannot ${action} ${path}: no space left: free some space`, cause);
    default:
      return new CtdoctorError(
        'kernel',
        `cannot ${action} ${path}: ${(error as Error).message ?? String(error)}`,
        cause,
      );
  }
}

/** The path and each of its ancestors, shortest first (`a`, `a/b`, `a/b/c`). */
function prefixes(path: string): string[] {
  const absolute = isAbsolute(path) ? path : resolve(path);
  const parts = absolute.split(sep).filter(Boolean);
  const result: string[] = [];
  for (let index = 1; index <= parts.length; index++) result.push(join(sep, ...parts.slice(0, index)));
  return result;
}

async function firstNonDirectory(path: string): Promise<string | null> {
  for (const prefix of prefixes(path)) {
    const info = await stat(prefix).catch(() => null);
    if (info === null) return null;
    if (!info.isDirectory()) return prefix === resolve(path) ? path : prefix;
  }
  return null;
}

async function firstLoop(path: string): Promise<string | null> {
  for (const prefix of prefixes(path)) {
    const error = await stat(prefix).then(
      () => null,
      (failure: NodeJS.ErrnoException) => failure.code,
    );
    if (error === 'ELOOP') return (await lstat(prefix).catch(() => null))?.isSymbolicLink() ? prefix : null;
    if (error !== null) return null;
  }
  return null;
}

/**
 * An option naming a directory to read (`--root`, `--proc-root`, `--sys-root`) must name one: a typo
 * must neither read as "nf_conntrack is not loaded" nor create a whole tree and say "written".
 */
export async function requireDirectory(option: string, dir: string, missingHint = ''): Promise<void> {
  let info: Stats;
  try {
    info = await withFileDeadline(dir, 'read', stat(dir));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CtdoctorError('usage', `${option} ${dir} does not exist${missingHint}`, { cause: error });
    throw isCtdoctorError(error) ? error : await describeFileFailure(error, dir, `read ${option}`);
  }
  if (!info.isDirectory()) throw new CtdoctorError('usage', `${option} ${dir} is not a directory`);
}
