import { createHash } from 'node:crypto';
import { open, readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileOperation } from './fileFailures.js';
import { copy, ensureDirectory, readBytesOrNull, removeIfPresent } from './stateFiles.js';

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
  await ensureDirectory(dirname(path), 'the target directory');
  const temp = join(dirname(path), `${TEMP_MARK}${basename(path)}.${process.pid}`);
  // Named by the target: the temp file is ours, the directory that refused it is the operator's.
  await fileOperation(path, 'write', async () => {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
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
    await fileOperation(path, 'replace', () => rename(temp, path));
  } catch (error) {
    await removeIfPresent(temp).catch(() => {});
    throw error;
  }
}

export async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fileOperation(dir, 'list', () => readdir(dir));
  } catch {
    return; // the write that follows names the problem
  }
  await Promise.all(
    names
      .filter((name) => name.startsWith(TEMP_MARK))
      .map((name) => removeIfPresent(join(dir, name)).catch(() => {})),
  );
}

/** Copies a file into the backup directory; returns the backup path, or null if there was no file. */
export async function backupFile(path: string, backupDir: string): Promise<string | null> {
  if ((await readBytesOrNull(path)) === null) return null;
  await ensureDirectory(backupDir, 'the backup directory', 0o700);
  const backup = join(backupDir, path.replace(/\//g, '%'));
  await copy(path, backup);
  return backup;
}
