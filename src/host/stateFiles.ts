import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, unlink } from 'node:fs/promises';
import { CtdoctorError } from '../core/errors.js';
import { fileOperation } from './fileFailures.js';
import { refusePseudoFilesystem } from './pseudoFilesystems.js';

/**
 * File primitives for ctdoctor's own state (journal, lock, backups) and the files it manages. Every
 * operation has a deadline and fails with one line naming the path and the fix.
 */

/**
 * O_NONBLOCK: a FIFO (or a device) where a state file should be would block open(2) forever, and a
 * thread stuck in open(2) even keeps process.exit() from finishing. With it, open returns at once and
 * the file type is checked before any read or write; on a regular file it changes nothing.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK;

/** Creates a directory (and its parents) that is not on a kernel pseudo filesystem. */
export async function ensureDirectory(path: string, role: string, mode = 0o755): Promise<void> {
  await refusePseudoFilesystem(path, role);
  await fileOperation(path, 'create the directory', () => mkdir(path, { recursive: true, mode }));
}

export async function ensurePrivateDir(path: string): Promise<void> {
  await ensureDirectory(path, 'the state dir', 0o700);
}

/**
 * Appends one line. A file whose last line has no newline (a crash in the middle of an append) gets
 * that line ended first and then `tornLineMark`, so the fragment stays a line of its own, marked,
 * instead of gluing itself to the new line and damaging both.
 */
export async function appendPrivateLine(path: string, line: string, tornLineMark: string): Promise<void> {
  await fileOperation(path, 'append to', async () => {
    const handle = await open(path, APPEND_FLAGS, 0o600);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw notRegular(path);
      const last = Buffer.alloc(1);
      if (info.size > 0) await handle.read(last, 0, 1, info.size - 1);
      const torn = info.size > 0 && last[0] !== 0x0a;
      await handle.writeFile(torn ? `\n${tornLineMark}\n${line}\n` : `${line}\n`);
      // A write-ahead journal record must be on disk before the change it announces.
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/**
 * Contents of a file, or null if it does not exist. Anything else (no permission, a parent that is
 * a file, a symlink loop, not a regular file) is an error: "cannot read" must never pass for "absent".
 */
export async function readBytesOrNull(path: string): Promise<Buffer | null> {
  try {
    return await fileOperation(path, 'read', async () => {
      const handle = await open(path, READ_FLAGS);
      try {
        if (!(await handle.stat()).isFile()) throw notRegular(path);
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    });
  } catch (error) {
    if (error instanceof CtdoctorError && error.kind === 'not-found') return null;
    throw error;
  }
}

/**
 * Creates `path` with `content` only if it does not exist; false when it does. The content is
 * written to a private temp file first and link(2)ed into place, so no reader ever sees the file
 * without its content (link fails with EEXIST instead of replacing).
 */
export async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.tmp`;
  await fileOperation(path, 'create', async () => {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  });
  try {
    await fileOperation(path, 'create', () => link(temp, path));
    return true;
  } catch (error) {
    if (error instanceof CtdoctorError && (error.cause as NodeJS.ErrnoException)?.code === 'EEXIST')
      return false;
    throw error;
  } finally {
    await removeIfPresent(temp);
  }
}

export async function removeIfPresent(path: string): Promise<void> {
  await fileOperation(path, 'remove', () => unlink(path)).catch((error: CtdoctorError) => {
    if (error.kind !== 'not-found') throw error;
  });
}

export async function copy(from: string, to: string): Promise<void> {
  await fileOperation(to, `copy ${from} to`, () => copyFile(from, to));
}

function notRegular(path: string): CtdoctorError {
  return new CtdoctorError(
    'refused',
    `${path} is not a regular file (a FIFO, a device or a directory?): move it away`,
  );
}
