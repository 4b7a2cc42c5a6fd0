import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { processAlive } from '../host/processAlive.js';
import { createExclusive, ensurePrivateDir, readBytesOrNull, removeIfPresent } from '../host/stateFiles.js';

/** One ctdoctor changes the system at a time; a lock left by a dead process is taken over. */
export async function withChangeLock<T>(stateDir: string, body: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(stateDir);
  const path = join(stateDir, 'lock');
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(path, String(process.pid))) break;
    const holder = Number(((await readBytesOrNull(path))?.toString() ?? '').trim());
    if (holder && processAlive(holder) && holder !== process.pid) {
      throw new CtdoctorError(
        'busy',
        `another ctdoctor (pid ${holder}) is changing the system; retry when it is done (lock ${path})`,
      );
    }
    if (attempt > 2) throw new CtdoctorError('busy', `cannot take the lock ${path}`);
    await removeIfPresent(path);
  }
  try {
    return await body();
  } finally {
    await removeIfPresent(path).catch(() => {});
  }
}
