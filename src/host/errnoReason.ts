import { lstat, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { CtdoctorError, isCtdoctorError } from '../core/errors.js';

/**
 * What an errno means: the one table of the host layer. Collectors ask `failureReason` why a reading
 * could not be made; a file ctdoctor reads when present gets its error from `optionalReadFailure`;
 * a file operation of ctdoctor's own (state, backups, managed files) from `describeFileFailure`.
 */

/** Why a reading could not be made, in the words a collector reports. */
export type FailureReason = 'absent' | 'permission' | 'tool-missing' | 'timed-out' | 'failed';

/** ENOTDIR: a component of the path is a file, so nothing can be below it (absent, for a reading). */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR']);
const DENIED_CODES = new Set(['EACCES', 'EPERM']);
/** Carried by the cause of every deadline's error (files, tools), as an errno would say it. */
const TIMED_OUT_CODE = 'ETIMEDOUT';

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The cause to give an error about a deadline that expired, so that it reads as timed out. */
export function deadlineExpired(deadlineMs: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`no answer within ${deadlineMs} ms`), { code: TIMED_OUT_CODE });
}

/**
 * Why `error` kept a reading from being made: an errno, or a CtdoctorError by its kind; a
 * 'kernel' error (a deadline's, a wrapped errno) is told by its cause.
 */
export function failureReason(error: unknown): FailureReason {
  for (let current = error; current !== undefined && current !== null; current = (current as Error).cause) {
    if (isCtdoctorError(current)) {
      if (current.kind === 'not-found' || current.kind === 'not-loaded') return 'absent';
      if (current.kind === 'permission' || current.kind === 'read-only') return 'permission';
      if (current.kind === 'missing-tool') return 'tool-missing';
      if (current.kind !== 'kernel') return 'failed';
      continue;
    }
    const code = errnoCode(current);
    if (code === TIMED_OUT_CODE) return 'timed-out';
    if (code !== undefined && ABSENT_CODES.has(code)) return 'absent';
    if (code !== undefined && (DENIED_CODES.has(code) || code === 'EROFS')) return 'permission';
    if (!(current instanceof Error)) break;
  }
  return 'failed';
}

/**
 * A failed read of a file that may be absent (a kernel file, a /proc/sys directory, a namespace
 * file): undefined when it is absent, as node_exporter treats it (no data), else `what`: the cause.
 */
export function optionalReadFailure(
  error: unknown,
  what: string,
  permissionHint = ' (run as root)',
): CtdoctorError | undefined {
  const code = errnoCode(error);
  if (code !== undefined && ABSENT_CODES.has(code)) return undefined;
  if (code !== undefined && DENIED_CODES.has(code))
    return new CtdoctorError('permission', `${what}: permission denied${permissionHint}`, { cause: error });
  return new CtdoctorError('kernel', `${what}: ${(error as Error).message}`, { cause: error });
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
