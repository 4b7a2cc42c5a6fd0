import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Journal } from '../../src/actions/journal.js';
import type { JournalChange } from '../../src/core/journal/journalEntry.js';
import { realHost } from '../../src/host/hostSeam.js';

const MAX: JournalChange = {
  kind: 'sysctl',
  key: 'net.netfilter.nf_conntrack_max',
  before: '262144',
  after: '524288',
};
const BUCKETS: JournalChange = { ...MAX, key: 'net.netfilter.nf_conntrack_buckets' };
const DROPIN: JournalChange = {
  kind: 'file',
  path: '/etc/sysctl.d/90-ctdoctor.conf',
  backup: null,
  afterSha256: 'ab',
};

function journalWith(records: object[]): Journal {
  const dir = mkdtempSync(join(tmpdir(), 'ctd-journal-'));
  writeFileSync(join(dir, 'journal.jsonl'), records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  return new Journal(dir, realHost);
}

const time = '2026-12-01T00:00:00.000Z';
const begin = (id: string, changes: JournalChange[]) => ({ type: 'begin', id, time, command: 'x', changes });

describe('journal records', () => {
  it('#11.4 a begin without commit is interrupted: the steps made are undone, the next one is in doubt', async () => {
    const journal = journalWith([begin('a', [BUCKETS, MAX, DROPIN]), { type: 'step', of: 'a', index: 0 }]);
    const [entry] = (await journal.active()).entries;
    assert.deepEqual(entry?.changes, [BUCKETS]);
    assert.deepEqual(entry?.inDoubt, [MAX], 'killed between writing max and journaling it');
    assert.equal((await journal.all()).entries[0]?.state, 'interrupted');
  });

  it('#11.4 killed while undoing a failed apply: every change it tried is in doubt', async () => {
    const journal = journalWith([
      begin('a', [BUCKETS, MAX, DROPIN]),
      { type: 'step', of: 'a', index: 0 },
      { type: 'undoing', of: 'a', time },
    ]);
    const [entry] = (await journal.active()).entries;
    assert.deepEqual(entry?.changes, []);
    assert.deepEqual(entry?.inDoubt, [BUCKETS, MAX], 'the one made and the one that failed');
  });

  it('#11.4 committed, aborted and partly undone entries', async () => {
    const journal = journalWith([
      begin('ok', [MAX]),
      { type: 'step', of: 'ok', index: 0 },
      { type: 'commit', of: 'ok', time },
      begin('undone', [MAX]),
      { type: 'step', of: 'undone', index: 0 },
      { type: 'abort', of: 'undone', time, error: 'e', left: [] },
      begin('left', [BUCKETS, MAX]),
      { type: 'step', of: 'left', index: 0 },
      { type: 'abort', of: 'left', time, error: 'e', left: [1] },
    ]);
    assert.deepEqual(
      (await journal.all()).entries.map((entry) => [entry.id, entry.state]),
      [
        ['ok', 'applied'],
        ['undone', 'undone on failure'],
        ['left', 'partly undone'],
      ],
    );
    const active = (await journal.active()).entries;
    assert.deepEqual(
      active.map((entry) => [entry.id, entry.changes, entry.inDoubt]),
      [
        ['ok', [MAX], undefined],
        ['left', [MAX], undefined],
      ],
      'an abort leaves only what its undo could not restore',
    );
  });

  it('#11.4 journals of the old format (one change record per apply) still roll back', async () => {
    const journal = journalWith([
      { type: 'change', id: 'old', time, command: 'mitigate', changes: [BUCKETS, MAX] },
      { type: 'change', id: 'older-undone', time, command: 'persist', changes: [DROPIN] },
      { type: 'rollback', of: 'older-undone', time },
    ]);
    assert.deepEqual(
      (await journal.active()).entries.map((entry) => [entry.id, entry.changes]),
      [['old', [BUCKETS, MAX]]],
    );
    assert.deepEqual(
      (await journal.all()).entries.map((entry) => [entry.state, entry.rolledBack]),
      [
        ['applied', false],
        ['rolled back', true],
      ],
    );
  });
});
