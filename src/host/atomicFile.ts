import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';

const TEMP_MARK = '.ctdoctor-tmp-';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes the new content next to the target and fsyncs it; nothing visible changes yet. */
export async function prepareAtomicWrite(
  path: string,
  content: string | Buffer,
  mode = 0o644,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `${TEMP_MARK}${basename(path)}.${process.pid}`);
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/**
 * Replaces `path` in one rename(2): readers and a crash see the old file or the new one, never half
 * of either. Leftover temp files from an interrupted run are removed first.
 */
export async function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await removeStaleTemps(dirname(path));
  const temp = await prepareAtomicWrite(path, content, mode);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw new CtdoctorError('kernel', `cannot replace ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((name) => name.startsWith(TEMP_MARK)).map((name) => unlink(join(dir, name)).catch(() => {})),
  );
}

/** Copies a file into the backup directory; returns the backup path, or null if there was no file. */
export async function backupFile(path: string, backupDir: string): Promise<string | null> {
  try {
    await readFile(path);
  } catch {
    return null;
  }
  await mkdir(backupDir, { recursive: true });
  const backup = join(backupDir, path.replace(/\//g, '%'));
  await copyFile(path, backup);
  return backup;
}
