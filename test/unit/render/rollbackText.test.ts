import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Journal } from '../../../src/actions/journal.js';
import { rollbackChanges } from '../../../src/actions/rollback.js';
import type { JournalChange } from '../../../src/core/journal/journalEntry.js';
import type { JournalListing } from '../../../src/core/journal/rollbackResult.js';
import { realHost } from '../../../src/host/hostSeam.js';
import type { SysctlAccess } from '../../../src/host/sysctlAccess.js';
import {
  journalListJson,
  renderJournalList,
  renderJournalWarnings,
  renderRollbackText,
  rollbackJson,
} from '../../../src/render/rollbackText.js';

const MAX: JournalChange = {
  kind: 'sysctl',
  key: 'net.netfilter.nf_conntrack_max',
  before: '65536',
  after: '262144',
};
const UDP_IN_LAB: JournalChange = {
  kind: 'sysctl',
  key: 'net.netfilter.nf_conntrack_udp_timeout',
  before: '30',
  after: '4',
  netns: '/run/netns/lab',
};
const NEW_DROPIN: JournalChange = {
  kind: 'file',
  path: '/etc/sysctl.d/90-ctdoctor.conf',
  backup: null,
  afterSha256: 'ef98bd02cb5cc5e8552cd81a38487ba03ea6e48ca5e5d382f2067206ae899bcb',
};
const REWRITTEN_DROPIN: JournalChange = {
  ...NEW_DROPIN,
  backup: '/var/lib/ctdoctor/backups/x/90-ctdoctor.conf',
};

/** Values as the kernel holds them after the changes, for a rollback to read and restore. */
function memoryAccess(values: Record<string, string>): SysctlAccess {
  return {
    netns: undefined,
    read: async (key) => values[key],
    async write(key, value) {
      values[key] = value;
    },
  };
}

/** Journals `changes` as one apply that went through. */
async function journalApplied(journal: Journal, id: string, command: string, changes: JournalChange[]) {
  await journal.begin({ id, time: '2026-12-01T21:47:15.000Z', command, changes });
  for (const index of changes.keys()) await journal.step(id, index);
  await journal.commit(id);
}

/**
 * A journal as three applies leave it: a mitigate, a persist of a new drop-in, and a timeouts in a
 * namespace cut short by a crash.
 */
async function journalOfThreeApplies(): Promise<Journal> {
  const journal = new Journal(mkdtempSync(join(tmpdir(), 'ctd-state-')), realHost);
  await journalApplied(journal, '20261201T214715Z-0001', 'mitigate', [MAX]);
  await journalApplied(journal, '20261201T214716Z-0002', 'persist', [NEW_DROPIN]);
  // Begun, never stepped: the change is in doubt.
  await journal.begin({
    id: '20261201T214717Z-0003',
    time: '2026-12-01T21:47:17.000Z',
    command: 'timeouts',
    changes: [UDP_IN_LAB],
  });
  return journal;
}

async function listing(journal: Journal): Promise<JournalListing> {
  return { path: journal.path, ...(await journal.all()) };
}

describe('rollback --list text', () => {
  it('each entry with its id, time and command, its changes below, and what became of it', async () => {
    const journal = await journalOfThreeApplies();
    await journal.recordRollback('20261201T214715Z-0001');
    await journalApplied(journal, '20261201T214718Z-0004', 'persist', [REWRITTEN_DROPIN]);
    assert.equal(
      renderJournalList(await listing(journal)),
      [
        '20261201T214715Z-0001  2026-12-01T21:47:15.000Z  mitigate  (rolled back)',
        '    net.netfilter.nf_conntrack_max: 65536 → 262144',
        '20261201T214716Z-0002  2026-12-01T21:47:15.000Z  persist',
        '    /etc/sysctl.d/90-ctdoctor.conf (new file)',
        '20261201T214717Z-0003  2026-12-01T21:47:17.000Z  timeouts  (interrupted: ctdoctor stopped mid-apply; rollback undoes what it did)',
        '    net.netfilter.nf_conntrack_udp_timeout: 30 → 4 (in /run/netns/lab)',
        '20261201T214718Z-0004  2026-12-01T21:47:15.000Z  persist',
        '    /etc/sysctl.d/90-ctdoctor.conf (backup kept)',
        '',
      ].join('\n'),
    );
  });

  it('an empty journal says where it looked; a torn line is a warning, kept apart from the list', async () => {
    const journal = new Journal(mkdtempSync(join(tmpdir(), 'ctd-state-')), realHost);
    const empty = await listing(journal);
    assert.equal(renderJournalList(empty), `no changes journaled in ${journal.path}\n`);
    assert.equal(renderJournalWarnings(empty), '');
    const torn = await journalOfThreeApplies();
    appendFileSync(torn.path, '{"type":"begin","id":"2026');
    const warned = await listing(torn);
    assert.match(
      renderJournalWarnings(warned),
      /^warning: .*journal\.jsonl:\d+ is a line torn by a crash while it was written: skipped\n$/,
    );
    assert.doesNotMatch(renderJournalList(warned), /warning/);
  });

  it('--json lists the entries with their state beside the journal path', async () => {
    const journal = await journalOfThreeApplies();
    const json = journalListJson(await listing(journal));
    assert.deepEqual(Object.keys(json), ['schema', 'path', 'entries', 'warnings']);
    assert.equal(json.schema, 'ctdoctor.journal/v1');
    assert.deepEqual(
      json.entries.map((entry) => [entry.command, entry.state, entry.rolledBack]),
      [
        ['mitigate', 'applied', false],
        ['persist', 'applied', false],
        ['timeouts', 'interrupted', false],
      ],
    );
  });
});

describe('rollback text', () => {
  it('each entry undone, newest first, with every change restored, in doubt ones included', async () => {
    const journal = await journalOfThreeApplies();
    const values = { [MAX.key]: '262144', [UDP_IN_LAB.key]: '4' };
    const result = await rollbackChanges(journal, {
      toId: '20261201T214715Z-0001',
      force: false,
      accessFor: async () => memoryAccess(values),
      realPath: (path) => join(journal.stateDir, 'root', path),
    });
    assert.equal(
      renderRollbackText(result),
      [
        'rolled back 20261201T214717Z-0003 (timeouts)',
        '    net.netfilter.nf_conntrack_udp_timeout: 30 → 4 (in /run/netns/lab)  restored',
        'rolled back 20261201T214716Z-0002 (persist)',
        '    /etc/sysctl.d/90-ctdoctor.conf (new file)  restored',
        'rolled back 20261201T214715Z-0001 (mitigate)',
        '    net.netfilter.nf_conntrack_max: 65536 → 262144  restored',
        '',
      ].join('\n'),
    );
    assert.deepEqual(values, { [MAX.key]: '65536', [UDP_IN_LAB.key]: '30' });
  });

  it('warnings follow what was undone; --json carries both', () => {
    const result = {
      undone: [],
      warnings: ['net.netfilter.nf_conntrack_max: namespace /run/netns/lab is gone, and its setting with it'],
    };
    assert.equal(
      renderRollbackText(result),
      'warning: net.netfilter.nf_conntrack_max: namespace /run/netns/lab is gone, and its setting with it\n',
    );
    assert.deepEqual(rollbackJson(result), { schema: 'ctdoctor.rollback/v1', ...result });
  });
});
