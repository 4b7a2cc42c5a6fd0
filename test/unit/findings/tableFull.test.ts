import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tableFullRule } from '../../../src/core/findings/doctor/tableFull.js';
import {
  CAPTURED_INODE,
  CAPTURED_TABLE_FULL,
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  statusOf,
} from '../../support/findings.js';

const host = doctorInput({ max: 200, buckets: 262144 });

describe('table-dropping / table-filling rule', () => {
  it('a full namespace losing connections is critical, with the exact fix aimed at it', () => {
    const ns = namespaceReadings({
      status: statusOf(200, 200, { drop: 500 }),
      tableFull: CAPTURED_TABLE_FULL,
    });
    const [finding] = tableFullRule.detect(ns, host);
    assert.equal(finding!.id, `table-dropping:${CAPTURED_INODE}`);
    assert.equal(finding!.severity, 'crit');
    assert.equal(finding!.evidence.dropPerSecond, 500);
    assert.equal(finding!.evidence.kernelLogMessages, CAPTURED_TABLE_FULL.messages);
    assert.deepEqual(finding!.fix.commands.slice(0, 2), [
      'ctdoctor mitigate --apply --netns web',
      'sysctl -w net.netfilter.nf_conntrack_max=512',
    ]);
    assertDocumentedDoctorFinding(tableFullRule.kinds, finding!);
  });

  it('a filling table that loses nothing yet is "filling", without log evidence when there is none', () => {
    const [finding] = tableFullRule.detect(namespaceReadings({ status: statusOf(170, 200) }), host);
    assert.equal(finding!.id, `table-filling:${CAPTURED_INODE}`);
    assert.equal(finding!.severity, 'warn');
    assert.match(finding!.title, /conntrack table 85% full \(170\/200\)/);
    assert.ok(!('kernelLogMessages' in finding!.evidence));
    assertDocumentedDoctorFinding(tableFullRule.kinds, finding!);
  });

  it('the host namespace gets commands without --netns', () => {
    const ns = namespaceReadings({ initial: true, status: statusOf(200, 200, { drop: 5 }) });
    const [finding] = tableFullRule.detect(ns, host);
    assert.match(finding!.title, /^the host namespace is dropping 5 new connections\/s/);
    assert.ok(finding!.fix.commands.every((command) => !command.includes('--netns')));
  });

  it('an ok namespace or one without a status has nothing to say', () => {
    assert.deepEqual(tableFullRule.detect(namespaceReadings(), host), []);
    assert.deepEqual(tableFullRule.detect(namespaceReadings({ status: null }), host), []);
  });
});
