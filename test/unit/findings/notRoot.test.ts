import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notRootRule } from '../../../src/core/findings/doctor/notRoot.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

describe('not-root rule', () => {
  it('without root, doctor says what it could not see', () => {
    const [finding] = notRootRule.detect(doctorInput({ root: false }));
    assert.deepEqual(finding!.fix.commands, ['sudo ctdoctor doctor']);
    assertDocumentedDoctorFinding(notRootRule.kinds, finding!);
  });

  it('as root, nothing', () => {
    assert.deepEqual(notRootRule.detect(doctorInput({ root: true })), []);
  });
});
