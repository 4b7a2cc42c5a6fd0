import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sysctlSteps } from '../../src/actions/changeSteps.js';
import { undoContextOf } from '../../src/actions/changeUndo.js';
import { Journal } from '../../src/actions/journal.js';
import { realHost } from '../../src/host/hostSeam.js';
import { applyJournaled } from '../../src/actions/journaledApply.js';
import { CtdoctorError } from '../../src/core/errors.js';
import type { SysctlAccess } from '../../src/host/sysctlAccess.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const BUCKETS = 'net.netfilter.nf_conntrack_buckets';

/** Sysctls in memory; `refuse(key, value)` makes that write fail as the kernel would. */
function fakeAccess(
  values: Record<string, string>,
  refuse: (key: string, value: string) => boolean,
): SysctlAccess {
  return {
    netns: undefined,
    read: async (key) => values[key],
    async write(key, value) {
      if (refuse(key, value)) throw new CtdoctorError('kernel', `write ${key}=${value}: Invalid argument`);
      values[key] = value;
    },
  };
}

async function applySysctls(access: SysctlAccess, targets: { key: string; to: string }[]): Promise<Journal> {
  const journal = new Journal(mkdtempSync(join(tmpdir(), 'ctd-sysctl-')), realHost);
  const run = { journal, id: 'e1', command: 'mitigate', undo: undoContextOf(access) };
  await applyJournaled(run, await sysctlSteps(access, targets));
  return journal;
}

describe('all-or-nothing sysctl writes', () => {
  it('#11.5 a failed second write puts the first back and reports the write that failed', async () => {
    const values = { [MAX]: '65536', [BUCKETS]: '16384' };
    const access = fakeAccess(values, (key) => key === BUCKETS);
    await assert.rejects(
      applySysctls(access, [
        { key: MAX, to: '262144' },
        { key: BUCKETS, to: '65536' },
      ]),
      { message: `write ${BUCKETS}=65536: Invalid argument; nothing was changed (what was done is undone)` },
    );
    assert.deepEqual(values, { [MAX]: '65536', [BUCKETS]: '16384' });
  });

  it('#11.5 a failed restore is a loud one-line error naming the key left changed, to what', async () => {
    const values = { [MAX]: '65536', [BUCKETS]: '16384' };
    // The second write fails, and so does putting the first one back.
    const access = fakeAccess(values, (key, value) => key === BUCKETS || value === '65536');
    const error = await applySysctls(access, [
      { key: MAX, to: '262144' },
      { key: BUCKETS, to: '32768' },
    ]).then(
      () => assert.fail('must fail'),
      (failure: CtdoctorError) => failure,
    );
    assert.equal(error.kind, 'kernel');
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.match(
      error.message,
      new RegExp(`STILL CHANGED: ${MAX}: 65536 → 262144 \\(write ${MAX}=65536: Invalid argument\\)`),
    );
    assert.ok(!error.message.includes(`${BUCKETS}: `), 'the key that was never written is not named');
    assert.equal((error.cause as Error).message, `write ${BUCKETS}=32768: Invalid argument`);
    assert.equal(values[MAX], '262144');
  });
});
