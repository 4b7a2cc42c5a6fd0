import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySysctls } from '../../src/actions/sysctlTransaction.js';
import { CtdoctorError } from '../../src/core/errors.js';
import type { SysctlAccess } from '../../src/host/sysctlAccess.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const BUCKETS = 'net.netfilter.nf_conntrack_buckets';

/** Sysctls in memory; `refuse(key, value)` makes that write fail as the kernel would. */
function fakeAccess(
  values: Record<string, string>,
  refuse: (key: string, value: string) => boolean,
  netns?: string,
): SysctlAccess {
  return {
    netns,
    read: async (key) => values[key],
    async write(key, value) {
      if (refuse(key, value)) throw new CtdoctorError('kernel', `write ${key}=${value}: Invalid argument`);
      values[key] = value;
    },
  };
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
      { message: `write ${BUCKETS}=65536: Invalid argument` },
    );
    assert.deepEqual(values, { [MAX]: '65536', [BUCKETS]: '16384' });
  });

  it('#11.5 a failed restore is a loud error naming what is left changed and the hand fix', async () => {
    const values = { [MAX]: '65536', [BUCKETS]: '16384' };
    // The second write fails, and so does putting the first one back.
    const access = fakeAccess(values, (key, value) => key === BUCKETS || value === '65536', '/run/netns/a');
    const error = await applySysctls(access, [
      { key: MAX, to: '262144' },
      { key: BUCKETS, to: '32768' },
    ]).then(
      () => assert.fail('must fail'),
      (failure: CtdoctorError) => failure,
    );
    assert.equal(error.kind, 'kernel');
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.match(error.message, new RegExp(`LEFT CHANGED: ${MAX} = 262144 \\(was 65536`));
    assert.match(
      error.message,
      new RegExp(`fix by hand: nsenter --net=/run/netns/a sysctl -w ${MAX}=65536$`),
    );
    assert.ok(!error.message.includes(`${BUCKETS} =`), 'the key that was never written is not named');
    assert.equal((error.cause as Error).message, `write ${BUCKETS}=32768: Invalid argument`);
    assert.equal(values[MAX], '262144');
  });
});
