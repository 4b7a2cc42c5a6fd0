import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKernelRelease } from '../../src/core/kernelInfo.js';
import { auditPersistenceState } from '../../src/core/plan/persistAudit.js';
import { CTDOCTOR_MARK } from '../../src/core/plan/persistPlan.js';
import { readSysctlTree } from '../../src/host/confTree.js';
import { makeTree } from '../support/sysctlTrees.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const BUCKETS = 'net.netfilter.nf_conntrack_buckets';
const facts = { memTotalBytes: undefined, kernelVersion: parseKernelRelease('6.1.0-28-amd64') };

describe('auditPersistenceState', () => {
  it("names ctdoctor's line that a later file overrides, and the runtime that follows the winner", async () => {
    const tree = await readSysctlTree(
      makeTree({
        '/etc/sysctl.d/90-ctdoctor.conf': `${CTDOCTOR_MARK}\n${MAX} = 262144\n`,
        '/etc/sysctl.d/99-zz-other.conf': `${MAX} = 65536\n`,
      }),
    );
    const audit = auditPersistenceState({ tree, runtime: { [MAX]: '65536', [BUCKETS]: null } }, facts);
    assert.equal(audit.file, '/etc/sysctl.d/90-ctdoctor.conf');
    const max = audit.rows.find((row) => row.key === MAX)!;
    assert.equal(max.runtime, '65536');
    assert.equal(max.atBoot, '65536');
    assert.equal(max.ctdoctor, '262144');
    assert.equal(max.inSync, false);
    assert.deepEqual(audit.overridden, [
      {
        key: MAX,
        loser: '/etc/sysctl.d/90-ctdoctor.conf:2',
        loserValue: '262144',
        winner: '/etc/sysctl.d/99-zz-other.conf:1',
        winnerValue: '65536',
        appliers: ['systemd-sysctl', 'sysctl --system'],
      },
    ]);
  });

  it('without a ctdoctor file audits max and buckets against the kernel default', async () => {
    const tree = await readSysctlTree(makeTree({}));
    const audit = auditPersistenceState({ tree, runtime: { [MAX]: '65536', [BUCKETS]: '16384' } }, facts);
    assert.equal(audit.file, null);
    assert.deepEqual(
      audit.rows.map((row) => row.key),
      [MAX, BUCKETS],
    );
    assert.deepEqual(audit.overridden, []);
  });
});
