import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withChangeLock } from '../../../src/actions/changeLock.js';
import { Journal } from '../../../src/actions/journal.js';
import { applyPersist } from '../../../src/actions/persist.js';
import { MemoryHost } from '../../support/memoryHost.js';

const STATE = '/var/lib/ctdoctor';
const LOCK = `${STATE}/lock`;
const OTHER = 4321;

/** Runs a body under the lock; true when it ran. */
async function locked(host: MemoryHost): Promise<boolean> {
  let ran = false;
  await withChangeLock({ stateDir: STATE, host }, async () => {
    ran = true;
    assert.equal(host.text(LOCK), String(host.pid), 'held under our pid while the body runs');
  });
  return ran;
}

describe('the change lock (in-memory host)', () => {
  it('#12.5 a lock held by another live process refuses with its pid, runs nothing and leaves the lock', async () => {
    const host = new MemoryHost();
    host.fileBytes.set(LOCK, Buffer.from(String(OTHER)));
    host.livePids.add(OTHER);
    await assert.rejects(locked(host), {
      kind: 'busy',
      message: `another ctdoctor (pid ${OTHER}) is changing the system; retry when it is done (lock ${LOCK})`,
    });
    assert.equal(host.text(LOCK), String(OTHER));
  });

  it('#12.5 an apply refused by the lock changes nothing and journals nothing', async () => {
    const host = new MemoryHost();
    host.fileBytes.set(LOCK, Buffer.from(String(OTHER)));
    host.livePids.add(OTHER);
    const journal = new Journal(STATE, host);
    await assert.rejects(
      applyPersist(
        [{ path: '/etc/sysctl.d/90-ctdoctor.conf', content: 'x = 1\n', why: 'ours' }],
        {},
        {
          journal,
          realPath: (path) => path,
          reload: null,
        },
      ),
      { kind: 'busy' },
    );
    assert.deepEqual(host.operations, []);
    assert.equal(host.text(journal.path), null);
  });

  it('#12.5 a lock left by a dead process is taken over, and released after', async () => {
    const host = new MemoryHost();
    host.fileBytes.set(LOCK, Buffer.from(String(OTHER)));
    assert.equal(await locked(host), true);
    assert.equal(host.text(LOCK), null, 'released');
    assert.equal(host.text(`${LOCK}.takeover`), null, 'the takeover file is gone too');
  });

  it("#11.5 a holder that releases and exits during a takeover leaves the newcomer's lock alone", async () => {
    // Found by the 12-process race: the takeover read a live holder's pid, the holder released and
    // exited, a newcomer took the lock, and the death check then removed the newcomer's lock.
    const host = new MemoryHost();
    const [stale, leaving, newcomer] = [OTHER, 4400, 4500];
    host.fileBytes.set(LOCK, Buffer.from(String(stale)));
    let lockReads = 0;
    const racing = {
      processes: host.processes,
      files: {
        ...host.files,
        async read(path: string) {
          const bytes = await host.files.read(path);
          if (path !== LOCK) return bytes;
          lockReads++;
          if (lockReads === 1) {
            // Between our first look (stale) and the takeover, someone else took it over and holds it.
            host.fileBytes.set(LOCK, Buffer.from(String(leaving)));
            host.livePids.add(leaving);
          } else if (lockReads === 2) {
            // Right after our read under the takeover file: the holder releases and exits, a newcomer takes the lock.
            host.livePids.delete(leaving);
            host.fileBytes.set(LOCK, Buffer.from(String(newcomer)));
            host.livePids.add(newcomer);
          }
          return bytes;
        },
      },
    };
    await assert.rejects(
      withChangeLock({ stateDir: STATE, host: racing }, async () => assert.fail('ran beside the newcomer')),
      { kind: 'busy', message: new RegExp(`another ctdoctor \\(pid ${newcomer}\\)`) },
    );
    assert.equal(host.text(LOCK), String(newcomer), "the newcomer's lock is still there");
    assert.equal(host.text(`${LOCK}.takeover`), null);
  });

  it('#12.5 a lock naming our own pid is a previous life (pid reuse) and is taken over', async () => {
    const host = new MemoryHost();
    host.fileBytes.set(LOCK, Buffer.from(String(host.pid)));
    assert.equal(await locked(host), true);
  });

  it('#12.5 a lock that names no process is refused: remove it by hand', async () => {
    const host = new MemoryHost();
    host.fileBytes.set(LOCK, Buffer.from('garbage'));
    await assert.rejects(locked(host), {
      kind: 'busy',
      message: `the lock ${LOCK} names no process: if no ctdoctor is running, remove it by hand`,
    });
  });

  it('#12.5 an interrupted takeover of a stale lock is refused, naming the file to remove', async () => {
    const host = new MemoryHost();
    host.fileBytes.set(LOCK, Buffer.from(String(OTHER)));
    host.fileBytes.set(`${LOCK}.takeover`, Buffer.from('4322'));
    await assert.rejects(locked(host), {
      kind: 'busy',
      message: `a takeover of the stale lock ${LOCK} was interrupted: if no ctdoctor is running, remove ${LOCK}.takeover by hand`,
    });
  });

  it('#12.5 the release never removes a lock that is no longer ours', async () => {
    const host = new MemoryHost();
    await withChangeLock({ stateDir: STATE, host }, async () => {
      host.fileBytes.set(LOCK, Buffer.from(String(OTHER))); // removed by hand and taken by another
    });
    assert.equal(host.text(LOCK), String(OTHER));
  });
});
