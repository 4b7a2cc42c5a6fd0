import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IDLE_ESTABLISHED_THRESHOLDS,
  idleEstablishedRule,
} from '../../../src/core/findings/doctor/idleEstablished.js';
import {
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  statusOf,
} from '../../support/findings.js';

const fiveDays = doctorInput({ timeouts: { tcp_timeout_established: 432000 } });

describe('idle-established rule', () => {
  it('entries idle over a day under the 5-day default: shorten and flush, in the namespace', () => {
    const ns = namespaceReadings({ establishedIdleOverDay: 150, status: statusOf(1000, 262144) });
    const [finding] = idleEstablishedRule.detect(ns, fiveDays);
    assert.deepEqual(finding!.evidence, { idleOverDay: 150, tcpTimeoutEstablished: 432000 });
    assert.deepEqual(finding!.fix.commands, [
      'ctdoctor timeouts --set tcp_timeout_established=86400 --apply --flush-idle --netns web',
    ]);
    assertDocumentedDoctorFinding(idleEstablishedRule.kinds, finding!);
  });

  it(`needs ${IDLE_ESTABLISHED_THRESHOLDS.minEntries} entries and ${IDLE_ESTABLISHED_THRESHOLDS.minShare * 100} % of the count`, () => {
    const few = namespaceReadings({ establishedIdleOverDay: 99, status: statusOf(500, 262144) });
    assert.deepEqual(idleEstablishedRule.detect(few, fiveDays), []);
    const smallShare = namespaceReadings({ establishedIdleOverDay: 150, status: statusOf(2000, 262144) });
    assert.deepEqual(idleEstablishedRule.detect(smallShare, fiveDays), []);
  });

  it('a timeout of a day or less already frees them', () => {
    const ns = namespaceReadings({ establishedIdleOverDay: 5000, status: statusOf(6000, 262144) });
    assert.deepEqual(
      idleEstablishedRule.detect(ns, doctorInput({ timeouts: { tcp_timeout_established: 86400 } })),
      [],
    );
  });
});
