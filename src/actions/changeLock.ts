import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CtdoctorError } from '../core/errors.js';
import type { Host, HostFiles, HostProcesses } from '../host/hostSeam.js';

/** A takeover holds its file for three system calls: a short wait sees it finish. */
const TAKEOVER_WAIT_MS = 5;
/** Each round either takes the lock, reports the live holder, or watches a takeover finish. */
const MAX_ROUNDS = 200;

/**
 * One ctdoctor changes the system at a time; a lock left by a dead process is taken over.
 *
 * Why the takeover is safe. A lock file is only ever created by link(2), which fails when one exists
 * and gives the file its pid from the first instant (no reader sees it empty), and only ever removed
 * (a) by its holder on release, or (b) by a process that holds the takeover file `lock.takeover`
 * (itself created by link(2)) and, while holding it, has read the lock's pid, found that process
 * dead, and read the same pid again. The second read matters: a holder alive at the first read can
 * release and exit before the death check, and the file is then a live newcomer's. Once the pid
 * read after the check is a dead one, nobody else can remove that file (its holder is dead and
 * every other taker waits for the takeover file) or replace it (link fails while it exists), so the
 * file (b) removes is the dead one it read, never a lock another process has just taken. After that all
 * takers compete for the free lock with link(2), which exactly one wins. (The naive version, "read a
 * dead pid, unlink, create", lets a second taker that read the same dead pid unlink the first one's
 * new lock: both then hold it.)
 * A takeover file left by a process that died inside those three calls is not itself taken over
 * (that would need the same argument one level up): the error says to remove it by hand.
 */
export async function withChangeLock<T>(
  where: { stateDir: string; host: Host },
  body: () => Promise<T>,
): Promise<T> {
  const { files, processes } = where.host;
  await files.ensurePrivateDir(where.stateDir);
  const path = join(where.stateDir, 'lock');
  await acquire(path, files, processes);
  try {
    return await body();
  } finally {
    // Released only if it is still ours: a lock is never removed on someone else's behalf.
    if ((await readHolder(path, files).catch(() => 'gone')) === processes.pid)
      await files.remove(path).catch(() => {});
  }
}

async function acquire(path: string, files: HostFiles, processes: HostProcesses): Promise<void> {
  const takeover = `${path}.takeover`;
  const ours = String(processes.pid);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (await files.createExclusive(path, ours)) return;
    const holder = await readHolder(path, files);
    if (holder === 'gone') continue; // released between the two calls
    if (holder === 'no pid')
      throw busy(`the lock ${path} names no process: if no ctdoctor is running, remove it by hand`);
    if (holdsLock(holder, processes))
      throw busy(
        `another ctdoctor (pid ${holder}) is changing the system; retry when it is done (lock ${path})`,
      );
    if (await files.createExclusive(takeover, ours)) {
      try {
        const current = await readHolder(path, files);
        // Read again after the death check: a holder alive at the first read may have released and
        // exited since, and the file is then a new holder's lock, which must not be removed.
        if (
          typeof current === 'number' &&
          !holdsLock(current, processes) &&
          (await readHolder(path, files)) === current
        )
          await files.remove(path);
      } finally {
        await files.remove(takeover);
      }
      continue;
    }
    const taker = await readHolder(takeover, files);
    if (taker === 'no pid' || (typeof taker === 'number' && !holdsLock(taker, processes)))
      throw busy(
        `a takeover of the stale lock ${path} was interrupted: if no ctdoctor is running, remove ${takeover} by hand`,
      );
    await sleep(TAKEOVER_WAIT_MS);
  }
  throw busy(`cannot take the lock ${path}: other ctdoctor processes keep taking it; retry`);
}

/** The pid a lock file names; 'gone' when there is no file, 'no pid' when it holds something else. */
async function readHolder(path: string, files: HostFiles): Promise<number | 'gone' | 'no pid'> {
  const bytes = await files.read(path);
  if (bytes === null) return 'gone';
  const text = bytes.toString('utf8').trim();
  return /^[1-9]\d*$/.test(text) ? Number(text) : 'no pid';
}

/** Our own pid in a lock is a previous life's (pid reuse after a reboot or in a container). */
function holdsLock(pid: number, processes: HostProcesses): boolean {
  return pid !== processes.pid && processes.isAlive(pid);
}

function busy(message: string): CtdoctorError {
  return new CtdoctorError('busy', message);
}
