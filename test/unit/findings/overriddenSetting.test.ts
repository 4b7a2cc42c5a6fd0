import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overriddenSettingRule } from '../../../src/core/findings/doctor/overriddenSetting.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

const lost = {
  key: 'net.netfilter.nf_conntrack_max',
  loser: '/etc/sysctl.d/90-ctdoctor.conf:2',
  loserValue: '524288',
  winner: '/etc/sysctl.d/95-other.conf:1',
  winnerValue: '1234',
  appliers: ['systemd-sysctl', 'sysctl --system'],
};

function overridden(entries: (typeof lost)[]) {
  return overriddenSettingRule.detect(
    doctorInput({ persist: { file: null, rows: [], overridden: entries } }),
  );
}

describe('overridden rule', () => {
  it('names the losing line, the winning one, and when it loses', () => {
    const [atBoot, underProcps] = overridden([
      lost,
      { ...lost, winner: '/etc/sysctl.conf:1', appliers: ['sysctl --system'] },
    ]);
    assert.equal(atBoot!.id, 'overridden:net.netfilter.nf_conntrack_max:/etc/sysctl.d/90-ctdoctor.conf:2');
    assert.match(atBoot!.title, /overrides it with 1234 at boot$/);
    assert.match(underProcps!.title, /overrides it with 1234 under sysctl --system$/);
    for (const finding of [atBoot!, underProcps!])
      assertDocumentedDoctorFinding(overriddenSettingRule.kinds, finding);
  });

  it('nothing overridden, nothing to say', () => {
    assert.deepEqual(overridden([]), []);
  });
});
