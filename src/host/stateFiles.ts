import { appendFile, copyFile, mkdir, open, readFile, unlink } from 'node:fs/promises';

/** File primitives for ctdoctor's own state (journal, lock, backups) and the files it manages. */

export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

export async function appendPrivateLine(path: string, line: string): Promise<void> {
  await appendFile(path, `${line}\n`, { mode: 0o600 });
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
