import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryAtMaxRule } from '../../../src/core/findings/doctor/memoryAtMax.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

const GiB = 1024 ** 3;
const fullTable = (memTotalBytes: number, max: number) =>
  memoryAtMaxRule.detect(doctorInput({ memTotalBytes, max, buckets: max, entryBytes: 256 }));

describe('memory-at-max rule', () => {
  it('a limit whose full table takes over a quarter of RAM warns, in GiB and percent', () => {
    const [finding] = fullTable(4 * GiB, 4 * 1024 * 1024); // 4 Mi entries × 264 B = 1.03 GiB
    assert.equal(finding!.severity, 'warn');
    assert.equal(finding!.title, 'a full table would use 1.0 GiB, 26% of RAM');
    assert.equal(finding!.evidence.atMaxBytes, 4 * 1024 * 1024 * (256 + 8));
    assertDocumentedDoctorFinding(memoryAtMaxRule.kinds, finding!);
  });

  it("past mitigate's 10 % budget it is info; within it, nothing", () => {
    assert.equal(fullTable(8 * GiB, 4 * 1024 * 1024)[0]!.severity, 'info');
    assert.deepEqual(fullTable(24 * GiB, 262144), []);
  });

  it('unknown RAM (0) says nothing', () => {
    assert.deepEqual(fullTable(0, 4 * 1024 * 1024), []);
  });
});
