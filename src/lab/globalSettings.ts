import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { CtdoctorError } from '../core/errors.js';
import { processAlive } from '../host/processAlive.js';
import { DEFAULT_ROOTS } from '../host/roots.js';
import { readSysctl, writeSysctl } from '../host/sysctlWrite.js';

const MAX_KEY = 'net.netfilter.nf_conntrack_max';
const BUCKETS_KEY = 'net.netfilter.nf_conntrack_buckets';
/**
 * Holds "pid original-max original-buckets": a crashed holder's values can still be restored by
 * the next one (the lab, the kernel tests and the benchmarks all take it).
 */
export const GLOBAL_MAX_LOCK = '/run/ctdoctor-lab-global-max.lock';
const LOCK_WAIT_MS = 120_000;

export type GlobalSetting = 'max' | 'buckets';
const KEYS: Readonly<Record<GlobalSetting, string>> = { max: MAX_KEY, buckets: BUCKETS_KEY };

/** Puts back what a dead holder recorded, before anyone measures anything. */
async function restoreRecorded(text: string): Promise<void> {
  const [, max, buckets] = text.trim().split(' ');
  if (buckets) await writeSysctl(DEFAULT_ROOTS, BUCKETS_KEY, buckets);
  if (max) await writeSysctl(DEFAULT_ROOTS, MAX_KEY, max);
}

/** `waitMs` 0: fail at once when a live process holds it (the lab refuses rather than waits). */
async function acquireLock(waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(GLOBAL_MAX_LOCK, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const recorded = await readFile(GLOBAL_MAX_LOCK, 'utf8').catch(() => '');
    const pid = recorded.trim().split(' ')[0];
    if (pid && !processAlive(Number(pid))) {
      await restoreRecorded(recorded);
      await unlink(GLOBAL_MAX_LOCK).catch(() => {});
      continue;
    }
    if (Date.now() >= deadline)
      throw new CtdoctorError(
        'busy',
        `another lab or kernel test (pid ${pid}) holds the machine-wide conntrack settings (${GLOBAL_MAX_LOCK}); retry when it is done`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The machine-wide conntrack settings (nf_conntrack_max and the hash size are global: every
 * namespace's count is checked against the one max, all share one hash), held by one process at a
 * time, with their original values recorded in the lock file before anything is changed.
 */
export class GlobalSettingsHold {
  private readonly changed = new Set<GlobalSetting>();

  private constructor(readonly original: Readonly<Record<GlobalSetting, number>>) {}

  static async take(waitMs = LOCK_WAIT_MS): Promise<GlobalSettingsHold> {
    await acquireLock(waitMs);
    const [max, buckets] = await Promise.all([
      readSysctl(DEFAULT_ROOTS, MAX_KEY),
      readSysctl(DEFAULT_ROOTS, BUCKETS_KEY),
    ]);
    if (max === undefined || buckets === undefined) {
      await unlink(GLOBAL_MAX_LOCK).catch(() => {});
      throw new CtdoctorError(
        'not-loaded',
        `${max === undefined ? MAX_KEY : BUCKETS_KEY} is absent: is nf_conntrack loaded? (modprobe nf_conntrack)`,
      );
    }
    await writeFile(GLOBAL_MAX_LOCK, `${process.pid} ${max} ${buckets}\n`);
    return new GlobalSettingsHold({ max: Number(max), buckets: Number(buckets) });
  }

  /** Writes a setting; resolves with how long the kernel took (a hash resize stalls the table). */
  async set(setting: GlobalSetting, value: number): Promise<number> {
    this.changed.add(setting);
    const startedAt = performance.now();
    await writeSysctl(DEFAULT_ROOTS, KEYS[setting], value);
    return performance.now() - startedAt;
  }

  async read(setting: GlobalSetting): Promise<number> {
    return Number(await readSysctl(DEFAULT_ROOTS, KEYS[setting]));
  }

  /** Puts every changed setting back; the hash first, so the max never exceeds what it was sized for. */
  async restore(): Promise<void> {
    for (const setting of ['buckets', 'max'] as const)
      if (this.changed.has(setting)) {
        await writeSysctl(DEFAULT_ROOTS, KEYS[setting], this.original[setting]);
        this.changed.delete(setting);
      }
  }

  /** Restores, then frees the lock (even when the restore fails: the lock still records the originals for the next holder). */
  async release(): Promise<void> {
    try {
      await this.restore();
      await unlink(GLOBAL_MAX_LOCK).catch(() => {});
    } catch (error) {
      throw new CtdoctorError(
        'kernel',
        `could not restore the machine-wide conntrack settings (max ${this.original.max}, buckets ${this.original.buckets}); ${GLOBAL_MAX_LOCK} keeps them for the next lab run: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/**
 * Runs `body` with the machine-wide nf_conntrack_max changed, then restores it, even on failure.
 * The limit is global (compared against each namespace's own count), so one holder at a time.
 */
export async function withGlobalMax<T>(value: number, body: (original: number) => Promise<T>): Promise<T> {
  const hold = await GlobalSettingsHold.take();
  try {
    await hold.set('max', value);
    return await body(hold.original.max);
  } finally {
    await hold.release();
  }
}
