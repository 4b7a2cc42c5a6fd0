import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tableWasFullRule } from '../../../src/core/findings/doctor/tableWasFull.js';
import {
  CAPTURED_INODE,
  CAPTURED_TABLE_FULL,
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  statusOf,
} from '../../support/findings.js';

describe('table-was-full rule', () => {
  it("an ok namespace with the captured log's table-full messages was full", () => {
    const [finding] = tableWasFullRule.detect(
      namespaceReadings({ tableFull: CAPTURED_TABLE_FULL }),
      doctorInput(),
    );
    assert.equal(finding!.id, `table-was-full:${CAPTURED_INODE}`);
    assert.equal(finding!.evidence.messages, CAPTURED_TABLE_FULL.messages);
    assert.equal(finding!.evidence.last, new Date(CAPTURED_TABLE_FULL.lastMs).toISOString());
    assert.deepEqual(finding!.fix.commands, ['ctdoctor analyze --netns web', 'ctdoctor mitigate']);
    assertDocumentedDoctorFinding(tableWasFullRule.kinds, finding!);
  });

  it('a table full now is the table-full finding, not this one', () => {
    const ns = namespaceReadings({ status: statusOf(200, 200, { drop: 5 }), tableFull: CAPTURED_TABLE_FULL });
    assert.deepEqual(tableWasFullRule.detect(ns, doctorInput()), []);
  });

  it('no messages, nothing to say', () => {
    assert.deepEqual(tableWasFullRule.detect(namespaceReadings(), doctorInput()), []);
  });
});
