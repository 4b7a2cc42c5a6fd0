import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DNS_RACE_THRESHOLDS, dnsRaceRule } from '../../../src/core/findings/doctor/dnsRace.js';
import {
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  statusOf,
} from '../../support/findings.js';

const racing = statusOf(1000, 262144, { insert_failed: 3, clash_resolve: 2 });

describe('dns-race rule', () => {
  it('insert_failed with DNS in the table is the A/AAAA race', () => {
    const [finding] = dnsRaceRule.detect(namespaceReadings({ status: racing, dnsShare: 0.4 }), doctorInput());
    assert.equal(finding!.evidence.insertFailedPerSecond, 3);
    assert.equal(finding!.evidence.clashResolvePerSecond, 2);
    assert.equal(finding!.evidence.udp53Share, 0.4);
    assertDocumentedDoctorFinding(dnsRaceRule.kinds, finding!);
  });

  it(`needs more than ${DNS_RACE_THRESHOLDS.minDnsShare * 100} % DNS entries`, () => {
    const ns = namespaceReadings({ status: racing, dnsShare: DNS_RACE_THRESHOLDS.minDnsShare });
    assert.deepEqual(dnsRaceRule.detect(ns, doctorInput()), []);
  });

  it('DNS without insert failures is no race', () => {
    assert.deepEqual(dnsRaceRule.detect(namespaceReadings({ dnsShare: 0.9 }), doctorInput()), []);
  });
});
