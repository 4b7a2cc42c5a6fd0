import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { undoContextOf } from '../../src/actions/changeUndo.js';
import { Journal } from '../../src/actions/journal.js';
import { realHost } from '../../src/host/hostSeam.js';
import { type ChangeStep, applyJournaled } from '../../src/actions/journaledApply.js';
import { CtdoctorError } from '../../src/core/errors.js';

/** A firewall-like change whose undo is the given program (`true` succeeds, `false` fails). */
function step(description: string, undo: string, fails = false): ChangeStep {
  return {
    change: { kind: 'command', description, undo: [undo] },
    async apply() {
      if (fails) throw new CtdoctorError('kernel', `${description}: the kernel said no`);
      return undefined;
    },
  };
}

async function applyThatFails(first: ChangeStep): Promise<{ error: CtdoctorError; journal: Journal }> {
  const journal = new Journal(mkdtempSync(join(tmpdir(), 'ctd-journal-')), realHost);
  const run = { journal, id: 'e1', command: 'test', undo: undoContextOf(null) };
  const error = await applyJournaled(run, [first, step('add rule 2', 'true', true)]).catch((e) => e);
  assert.ok(error instanceof CtdoctorError, String(error));
  return { error, journal };
}

describe('an apply that fails midway', () => {
  it('#11.1 undoes what it made, says nothing is left changed, and journals the failure', async () => {
    const { error, journal } = await applyThatFails(step('add rule 1', 'true'));
    assert.equal(error.kind, 'kernel');
    assert.equal(
      error.message,
      'add rule 2: the kernel said no; nothing was changed (what was done is undone)',
    );
    assert.deepEqual(
      (await journal.all()).entries.map((entry) => entry.state),
      ['undone on failure'],
    );
    assert.deepEqual((await journal.active()).entries, []);
  });

  it('#11.1 a failed undo is a loud error naming exactly what is left changed, and stays active for rollback', async () => {
    const { error, journal } = await applyThatFails(step('add rule 1', 'false'));
    assert.match(
      error.message,
      /^add rule 2: the kernel said no; STILL CHANGED: add rule 1 \(undo of add rule 1: "false" failed: exit 1\): fix that, then ctdoctor rollback \(journal e1\)$/,
    );
    assert.deepEqual(
      (await journal.all()).entries.map((entry) => entry.state),
      ['partly undone'],
    );
    assert.deepEqual(
      (await journal.active()).entries.map((entry) =>
        entry.changes.map((change) => change.kind === 'command' && change.description),
      ),
      [['add rule 1']],
    );
  });
});
