import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CtdoctorError, isCtdoctorError } from '../core/errors.js';
import { deadlineExpired, describeFileFailure } from './errnoReason.js';

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
            { cause: deadlineExpired(deadlineMs) },
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
