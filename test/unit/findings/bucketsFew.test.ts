import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUCKETS_FEW_THRESHOLDS, bucketsFewRule } from '../../../src/core/findings/doctor/bucketsFew.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

const severityAt = (ratio: number) =>
  bucketsFewRule.detect(doctorInput({ max: ratio * 65536, buckets: 65536 }))[0]?.severity ?? 'none';

describe('buckets-few rule', () => {
  it('a max 8 × the buckets (hashsize= alone) warns of chains of ~16, with the one-to-one fix', () => {
    const [finding] = bucketsFewRule.detect(doctorInput({ max: 8 * 65536, buckets: 65536 }));
    assert.equal(finding!.severity, 'warn');
    assert.match(finding!.title, /8× the buckets: a full table has hash chains of ~16$/);
    assert.deepEqual(finding!.fix.commands, ['ctdoctor mitigate --max 524288 --buckets 524288 --apply']);
    assertDocumentedDoctorFinding(bucketsFewRule.kinds, finding!);
  });

  it('severity by ratio: none up to 2 ×, info below 8 ×, warn from 8 ×', () => {
    assert.equal(severityAt(BUCKETS_FEW_THRESHOLDS.infoRatio), 'none');
    assert.equal(severityAt(4), 'info');
    assert.equal(severityAt(BUCKETS_FEW_THRESHOLDS.warnRatio), 'warn');
  });
});
