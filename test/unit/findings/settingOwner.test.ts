import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingOwnerRule } from '../../../src/core/findings/doctor/settingOwner.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

describe('owner rule', () => {
  it('kube-proxy, which rewrites the limit at every start, is a warning; tuned is info', () => {
    const findings = settingOwnerRule.detect(
      doctorInput({
        owners: [
          {
            who: 'kube-proxy',
            evidence: 'pid 812',
            effect: 'sets nf_conntrack_max',
            advice: 'set it in kube-proxy',
          },
          {
            who: 'tuned',
            evidence: 'profile throughput',
            effect: 'sets buckets',
            advice: 'edit the profile',
          },
        ],
      }),
    );
    assert.deepEqual(
      findings.map((finding) => `${finding.severity}:${finding.id}`),
      ['warn:owner:kube-proxy', 'info:owner:tuned'],
    );
    assert.equal(findings[0]!.title, 'kube-proxy: sets nf_conntrack_max');
    assert.equal(findings[0]!.explanation, 'set it in kube-proxy');
    for (const finding of findings) assertDocumentedDoctorFinding(settingOwnerRule.kinds, finding);
  });
});
