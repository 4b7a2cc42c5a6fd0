import { copyFile, mkdir, open, readFile, unlink } from 'node:fs/promises';

/** File primitives for ctdoctor's own state (journal, lock, backups) and the files it manages. */

export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

/** Appends a line and fsyncs it: a write-ahead journal record must be on disk before the change it announces. */
export async function appendPrivateLine(path: string, line: string): Promise<void> {
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.appendFile(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Contents of a file, or null if it cannot be read (absent, a directory, no permission). */
export async function readBytesOrNull(path: string): Promise<Buffer | null> {
  return readFile(path).catch(() => null);
}

/** Creates a file only if it does not exist; false when it does. */
export async function createExclusive(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    await handle.writeFile(content);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export async function removeIfPresent(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

export async function copy(from: string, to: string): Promise<void> {
  await copyFile(from, to);
}
