import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { processAlive } from '../host/processAlive.js';
import { DEFAULT_ROOTS } from '../host/roots.js';
import { readSysctl, writeSysctl } from '../host/sysctlWrite.js';

const MAX_KEY = 'net.netfilter.nf_conntrack_max';
/** Holds "pid original-max": a crashed holder's value can still be restored by the next one. */
export const GLOBAL_MAX_LOCK = '/run/ctdoctor-lab-global-max.lock';
const LOCK_WAIT_MS = 120_000;

async function acquireLock(): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(GLOBAL_MAX_LOCK, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [pid, staleOriginal] = (await readFile(GLOBAL_MAX_LOCK, 'utf8').catch(() => '')).trim().split(' ');
    if (pid && !processAlive(Number(pid))) {
      // The holder died without restoring: put its original back before anyone measures anything.
      if (staleOriginal) await writeSysctl(DEFAULT_ROOTS, MAX_KEY, staleOriginal);
      await unlink(GLOBAL_MAX_LOCK).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${GLOBAL_MAX_LOCK} held by pid ${pid} for too long`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs `body` with the machine-wide nf_conntrack_max changed, then restores it, even on failure.
 * The limit is global (compared against each namespace's own count), so one holder at a time.
 */
export async function withGlobalMax<T>(value: number, body: (original: number) => Promise<T>): Promise<T> {
  await acquireLock();
  const original = await readSysctl(DEFAULT_ROOTS, MAX_KEY);
  if (original === undefined) {
    await unlink(GLOBAL_MAX_LOCK).catch(() => {});
    throw new Error('nf_conntrack_max is absent: is nf_conntrack loaded?');
  }
  await writeFile(GLOBAL_MAX_LOCK, `${process.pid} ${original}\n`);
  try {
    await writeSysctl(DEFAULT_ROOTS, MAX_KEY, value);
    return await body(Number(original));
  } finally {
    try {
      await writeSysctl(DEFAULT_ROOTS, MAX_KEY, original);
    } finally {
      await unlink(GLOBAL_MAX_LOCK).catch(() => {});
    }
  }
}
