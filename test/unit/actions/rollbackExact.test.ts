import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Journal } from '../../../src/actions/journal.js';
import { applyPersist } from '../../../src/actions/persist.js';
import { type RollbackOptions, rollbackChanges } from '../../../src/actions/rollback.js';
import type { SysctlPlace } from '../../../src/core/journal/sysctlPlace.js';
import { MemoryHost } from '../../support/memoryHost.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const CONF = '/etc/sysctl.conf';
const DROPIN = '/etc/sysctl.d/90-ctdoctor.conf';
/** Bytes a text round trip would not keep: CRLF, no final newline, a byte that is not UTF-8. */
const OLD_CONF = Buffer.concat([
  Buffer.from('kernel.x = 1\r\nnet.netfilter.nf_conntrack_max = 65536'),
  Buffer.from([0xff]),
]);

/** A host after `persist --apply --reload`: sysctl.conf edited, the drop-in created, the value set. */
async function persisted(
  place?: SysctlPlace,
): Promise<{ host: MemoryHost; journal: Journal; options: RollbackOptions }> {
  const host = new MemoryHost();
  host.fileBytes.set(CONF, Buffer.from(OLD_CONF));
  host.sysctls.set(MAX, '65536');
  const journal = new Journal('/var/lib/ctdoctor', host);
  const access = host.sysctlAccess(place);
  await applyPersist(
    [
      { path: CONF, content: 'kernel.x = 1\n', why: 'conflicting line removed' },
      { path: DROPIN, content: `${MAX} = 262144\n`, why: 'ours' },
    ],
    { [MAX]: '262144' },
    { journal, realPath: (path) => path, reload: access },
  );
  assert.equal(host.sysctls.get(MAX), '262144');
  const options = { force: false, realPath: (path: string) => path, accessFor: async () => access };
  return { host, journal, options };
}

describe('rollback (in-memory host)', () => {
  it('#12.5 restores the exact bytes of an edited file, removes a created one and puts the value back', async () => {
    const { host, journal, options } = await persisted();
    const result = await rollbackChanges(journal, options);
    assert.equal(result.undone.length, 1);
    assert.deepEqual(host.fileBytes.get(CONF), OLD_CONF, 'byte for byte');
    assert.equal(host.fileBytes.has(DROPIN), false);
    assert.equal(host.sysctls.get(MAX), '65536');
    assert.deepEqual(
      (await journal.all()).entries.map((entry) => entry.state),
      ['rolled back'],
    );
    await assert.rejects(rollbackChanges(journal, options), { kind: 'not-found' }, 'nothing left to undo');
  });

  it('#12.5 refuses a value something else changed since, changing nothing; --force restores it', async () => {
    const { host, journal, options } = await persisted();
    host.sysctls.set(MAX, '131072');
    await assert.rejects(rollbackChanges(journal, options), {
      kind: 'refused',
      message: `${MAX} is 131072, not 262144 as ctdoctor left it: something else changed it (use --force to restore 65536 anyway)`,
    });
    assert.equal(host.sysctls.get(MAX), '131072');
    assert.equal(host.text(DROPIN), `${MAX} = 262144\n`, 'the files are left as they are too');
    assert.equal((await journal.active()).entries.length, 1, 'still to be rolled back');

    await rollbackChanges(journal, { ...options, force: true });
    assert.equal(host.sysctls.get(MAX), '65536');
    assert.deepEqual(host.fileBytes.get(CONF), OLD_CONF);
  });

  it('refuses, even with --force, a value changed in another namespace (ctdoctor ran inside it) or through another --proc-root', async () => {
    const inLab = await persisted({ netnsInode: 4026532301 });
    const elsewhere = [
      {
        from: { netnsInode: 4026531840 },
        message: `${MAX} was changed in network namespace 4026532301, where ctdoctor ran, and this rollback runs in 4026531840: run it inside that namespace (ip netns exec NAME ctdoctor rollback)`,
      },
      {
        from: { procRoot: '/host/proc', netnsInode: 4026532301 },
        message: `${MAX} was changed through /proc and this rollback writes /host/proc: run it without --proc-root`,
      },
    ];
    for (const { from, message } of elsewhere) {
      const here = inLab.host.sysctlAccess(from);
      for (const force of [false, true]) {
        await assert.rejects(
          rollbackChanges(inLab.journal, { ...inLab.options, force, accessFor: async () => here }),
          {
            kind: 'refused',
            message,
          },
        );
      }
      assert.equal(inLab.host.sysctls.get(MAX), '262144', 'nothing written where ctdoctor did not change it');
      assert.equal(inLab.host.text(DROPIN), `${MAX} = 262144\n`);
    }
    await rollbackChanges(inLab.journal, inLab.options);
    assert.equal(inLab.host.sysctls.get(MAX), '65536', 'from the namespace it was made in, it rolls back');

    const tree = await persisted({ procRoot: '/srv/fixture/proc' });
    await assert.rejects(
      rollbackChanges(tree.journal, { ...tree.options, accessFor: async () => tree.host.sysctlAccess() }),
      {
        kind: 'refused',
        message: `${MAX} was changed through /srv/fixture/proc and this rollback writes /proc: run it with --proc-root /srv/fixture/proc`,
      },
    );
  });

  it('#12.5 refuses a file modified after ctdoctor wrote it; --force restores the backup', async () => {
    const { host, journal, options } = await persisted();
    host.fileBytes.set(CONF, Buffer.from('kernel.x = 1\nedited by hand\n'));
    await assert.rejects(rollbackChanges(journal, options), {
      kind: 'refused',
      message: `${CONF} was modified after ctdoctor wrote it (use --force to restore the backup anyway)`,
    });
    assert.equal(host.text(CONF), 'kernel.x = 1\nedited by hand\n');

    await rollbackChanges(journal, { ...options, force: true });
    assert.deepEqual(host.fileBytes.get(CONF), OLD_CONF);
  });

  it('#12.5 a change already back as before is left alone (a rollback killed midway and re-run)', async () => {
    const { host, journal, options } = await persisted();
    host.sysctls.set(MAX, '65536');
    host.operations.length = 0;
    await rollbackChanges(journal, options);
    assert.ok(
      !host.operations.some((operation) => operation.startsWith('sysctl ')),
      'the value is not rewritten',
    );
    assert.deepEqual(host.fileBytes.get(CONF), OLD_CONF);
  });
});
