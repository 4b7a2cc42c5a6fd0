import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Journal } from '../../src/actions/journal.js';
import { realHost } from '../../src/host/hostSeam.js';
import { rollbackChanges } from '../../src/actions/rollback.js';
import type { SysctlAccess } from '../../src/host/sysctlAccess.js';

const MAX = 'net.netfilter.nf_conntrack_max';

function memoryAccess(values: Record<string, string>): SysctlAccess {
  return {
    netns: undefined,
    read: async (key) => values[key],
    async write(key, value) {
      values[key] = value;
    },
  };
}

async function journalWithMitigation(): Promise<Journal> {
  const journal = new Journal(mkdtempSync(join(tmpdir(), 'ctd-state-')), realHost);
  const id = '20260101T000000Z-abcd';
  await journal.begin({
    id,
    time: '2026-01-01T00:00:00.000Z',
    command: 'mitigate',
    changes: [{ kind: 'sysctl', key: MAX, before: '65536', after: '262144' }],
  });
  await journal.step(id, 0);
  await journal.commit(id);
  return journal;
}

describe('rollback of a sysctl something else changed since', () => {
  it('#11.5 refuses with the value found, the value ctdoctor left and --force, and changes nothing', async () => {
    const journal = await journalWithMitigation();
    const values = { [MAX]: '131072' };
    const options = { force: false, accessFor: async () => memoryAccess(values), realPath: (p: string) => p };
    await assert.rejects(rollbackChanges(journal, options), {
      kind: 'refused',
      message: `${MAX} is 131072, not 262144 as ctdoctor left it: something else changed it (use --force to restore 65536 anyway)`,
    });
    assert.equal(values[MAX], '131072');
    assert.equal((await journal.active()).entries.length, 1, 'still to be rolled back');
  });

  it('#11.5 --force restores the value from before ctdoctor anyway', async () => {
    const journal = await journalWithMitigation();
    const values = { [MAX]: '131072' };
    const result = await rollbackChanges(journal, {
      force: true,
      accessFor: async () => memoryAccess(values),
      realPath: (p) => p,
    });
    assert.equal(values[MAX], '65536');
    assert.equal(result.undone.length, 1);
    assert.equal((await journal.active()).entries.length, 0);
  });

  it('a value already back where it was (a rollback killed midway, re-run) is not refused', async () => {
    const journal = await journalWithMitigation();
    const values = { [MAX]: '65536' };
    const result = await rollbackChanges(journal, {
      force: false,
      accessFor: async () => memoryAccess(values),
      realPath: (p) => p,
    });
    assert.equal(values[MAX], '65536');
    assert.equal(result.undone.length, 1);
    assert.equal((await journal.active()).entries.length, 0);
  });

  it('a change a crash cut short is refused like a made one when something else changed it since', async () => {
    const journal = new Journal(mkdtempSync(join(tmpdir(), 'ctd-state-')), realHost);
    // Interrupted: begun, never stepped, so the write is in doubt.
    await journal.begin({
      id: 'crashed',
      time: '2026-01-01T00:00:00.000Z',
      command: 'mitigate',
      changes: [{ kind: 'sysctl', key: MAX, before: '65536', after: '262144' }],
    });
    const values = { [MAX]: '999' };
    const options = { force: false, accessFor: async () => memoryAccess(values), realPath: (p: string) => p };
    await assert.rejects(rollbackChanges(journal, options), { kind: 'refused' });
    assert.equal(values[MAX], '999', 'not silently put back');
    const untouched = { [MAX]: '65536' };
    await rollbackChanges(journal, { ...options, accessFor: async () => memoryAccess(untouched) });
    assert.equal(
      (await journal.active()).entries.length,
      0,
      'a write never made is left alone and the entry closed',
    );
  });
});
