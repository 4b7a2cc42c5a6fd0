import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { processAlive } from '../host/processAlive.js';

/** One ctdoctor changes the system at a time; a lock left by a dead process is taken over. */
export async function withChangeLock<T>(stateDir: string, body: () => Promise<T>): Promise<T> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (holder && processAlive(holder) && holder !== process.pid) {
        throw new CtdoctorError(
          'busy',
          `another ctdoctor (pid ${holder}) is changing the system; retry when it is done (lock ${path})`,
        );
      }
      if (attempt > 2) throw new CtdoctorError('busy', `cannot take the lock ${path}`);
      await unlink(path).catch(() => {});
    }
  }
  try {
    return await body();
  } finally {
    await unlink(path).catch(() => {});
  }
}
