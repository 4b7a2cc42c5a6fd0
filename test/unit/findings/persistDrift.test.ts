import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { persistDriftRule } from '../../../src/core/findings/doctor/persistDrift.js';
import type { DriftRow } from '../../../src/core/plan/persistDrift.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

function drift(rows: DriftRow[]) {
  return persistDriftRule.detect(doctorInput({ persist: { file: null, rows, overridden: [] } }));
}

const maxLostAtReboot: DriftRow = {
  key: 'net.netfilter.nf_conntrack_max',
  runtime: '524288',
  atBoot: '262144',
  bootFrom: 'kernel default',
  sysctlSystem: { value: '262144', from: 'kernel default' },
  ctdoctor: null,
  inSync: false,
};

describe('drift rule', () => {
  it('a runtime value boot will not set: persist it', () => {
    const [finding] = drift([maxLostAtReboot]);
    assert.equal(finding!.id, 'drift:net.netfilter.nf_conntrack_max');
    assert.match(
      finding!.title,
      /is 524288 now but boot sets 262144 \(kernel default\): it will not survive a reboot$/,
    );
    assert.deepEqual(finding!.fix.commands, ['ctdoctor persist --apply', 'ctdoctor persist --check']);
    assert.ok(!('sysctlSystemAtBoot' in finding!.evidence));
    assertDocumentedDoctorFinding(persistDriftRule.kinds, finding!);
  });

  it('a timeout is named in the persist command', () => {
    const [udp, established] = drift([
      { ...maxLostAtReboot, key: 'net.netfilter.nf_conntrack_udp_timeout', runtime: '10', atBoot: '30' },
      {
        ...maxLostAtReboot,
        key: 'net.netfilter.nf_conntrack_tcp_timeout_established',
        runtime: '86400',
        atBoot: '432000',
      },
    ]);
    assert.equal(udp!.fix.commands[0], 'ctdoctor persist --timeout udp_timeout=10 --apply');
    assert.equal(
      established!.fix.commands[0],
      'ctdoctor persist --timeout tcp_timeout_established=86400 --apply',
    );
    for (const finding of [udp!, established!])
      assertDocumentedDoctorFinding(persistDriftRule.kinds, finding);
  });

  it('only `sysctl --system` differs (/etc/sysctl.conf read last): fix the conflict', () => {
    const [finding] = drift([
      { ...maxLostAtReboot, atBoot: '524288', sysctlSystem: { value: '99', from: '/etc/sysctl.conf:3' } },
    ]);
    assert.match(finding!.title, /but `sysctl --system` sets 99 \(\/etc\/sysctl.conf:3\)/);
    assert.equal(finding!.fix.commands[0], 'ctdoctor persist --fix-conflicts --apply');
    assert.equal(finding!.evidence.sysctlSystemFrom, '/etc/sysctl.conf:3');
    assertDocumentedDoctorFinding(persistDriftRule.kinds, finding!);
  });

  it('keys in sync, or no persistence reading, say nothing', () => {
    assert.deepEqual(drift([{ ...maxLostAtReboot, inSync: true }]), []);
    assert.deepEqual(persistDriftRule.detect(doctorInput()), []);
  });
});
