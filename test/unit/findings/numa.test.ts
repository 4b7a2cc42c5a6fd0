import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numaRule } from '../../../src/core/findings/doctor/numa.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

describe('numa rule', () => {
  it('two nodes: the hash table lives on one', () => {
    const [finding] = numaRule.detect(doctorInput({ numaNodes: 2 }));
    assert.equal(finding!.title, '2 NUMA nodes: the hash table lives on one node');
    assertDocumentedDoctorFinding(numaRule.kinds, finding!);
  });

  it('one node, nothing to say', () => {
    assert.deepEqual(numaRule.detect(doctorInput({ numaNodes: 1 })), []);
  });
});
