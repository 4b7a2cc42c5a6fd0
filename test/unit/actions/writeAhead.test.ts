import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Journal } from '../../../src/actions/journal.js';
import { applyPersist } from '../../../src/actions/persist.js';
import { MemoryHost } from '../../support/memoryHost.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const DROPIN = '/etc/sysctl.d/90-ctdoctor.conf';
const STATE = '/var/lib/ctdoctor';
const JOURNAL = `${STATE}/journal.jsonl`;

function persist(host: MemoryHost, journal: Journal): Promise<unknown> {
  return applyPersist(
    [{ path: DROPIN, content: `${MAX} = 262144\n`, why: 'ours' }],
    { [MAX]: '262144' },
    { journal, realPath: (path) => path, reload: host.sysctlAccess() },
  );
}

describe('the journal is written ahead of every change (in-memory host)', () => {
  it('#12.5 begin, with every planned change and its before state, is durable before the first change; each step follows its change; commit comes last', async () => {
    const host = new MemoryHost();
    host.sysctls.set(MAX, '65536');
    const journal = new Journal(STATE, host);
    await persist(host, journal);
    const changes = host.operations.filter((operation) => !operation.includes(`${STATE}/lock`));
    assert.deepEqual(changes, [
      `append ${JOURNAL} begin`,
      `write ${DROPIN}`,
      `append ${JOURNAL} step`,
      `sysctl ${MAX}=262144`,
      `append ${JOURNAL} step`,
      `append ${JOURNAL} commit`,
    ]);
    const begin = JSON.parse(host.text(JOURNAL)!.split('\n')[0]!);
    assert.deepEqual(
      begin.changes.map((change: { kind: string }) => change.kind),
      ['file', 'sysctl'],
    );
    assert.deepEqual(begin.changes[1], { kind: 'sysctl', key: MAX, before: '65536', after: '262144' });
    assert.equal(begin.changes[0].backup, null, 'the drop-in did not exist: undo removes it');
  });

  it('#12.5 a journal that cannot be written stops the apply before anything is changed', async () => {
    const host = new MemoryHost();
    host.sysctls.set(MAX, '65536');
    host.readOnly(JOURNAL);
    await assert.rejects(persist(host, new Journal(STATE, host)), {
      kind: 'permission',
      message: new RegExp(`^cannot append to ${JOURNAL}: the filesystem is read-only`),
    });
    assert.equal(host.fileBytes.has(DROPIN), false);
    assert.equal(host.sysctls.get(MAX), '65536');
    assert.deepEqual(
      host.operations.filter((operation) => !operation.includes(`${STATE}/lock`)),
      [],
      'nothing changed',
    );
  });
});
