import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unreadableNamespaceRule } from '../../../src/core/findings/doctor/unreadableNamespace.js';
import { assertDocumentedDoctorFinding, doctorInput, namespaceReadings } from '../../support/findings.js';

describe('unreadable namespace rule', () => {
  it('says which namespace could not be read, and why', () => {
    const ns = namespaceReadings({ status: null, error: 'permission denied' });
    const [finding] = unreadableNamespaceRule.detect(ns, doctorInput());
    assert.match(finding!.title, /\(ip netns web, nginx\): could not be read$/);
    assert.deepEqual(finding!.evidence, { error: 'permission denied' });
    assertDocumentedDoctorFinding(unreadableNamespaceRule.kinds, finding!);
  });

  it('a namespace read is not reported', () => {
    assert.deepEqual(unreadableNamespaceRule.detect(namespaceReadings(), doctorInput()), []);
  });
});
