import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zonesRule } from '../../../src/core/findings/doctor/zones.js';
import { assertDocumentedDoctorFinding, doctorInput, namespaceReadings } from '../../support/findings.js';

describe('zones rule', () => {
  it('more than one zone is worth knowing: they share one limit', () => {
    const [finding] = zonesRule.detect(namespaceReadings({ zones: ['0', '7'] }), doctorInput());
    assert.equal(finding!.severity, 'info');
    assert.equal(finding!.evidence.zones, '0, 7');
    assertDocumentedDoctorFinding(zonesRule.kinds, finding!);
  });

  it('the default zone alone says nothing', () => {
    assert.deepEqual(zonesRule.detect(namespaceReadings({ zones: ['0'] }), doctorInput()), []);
  });
});
