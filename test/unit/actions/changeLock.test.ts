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
