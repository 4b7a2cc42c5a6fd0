import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dnsInsertRaceRule } from '../../../src/core/findings/doctor/counterRules.js';
import { DNS_INSERT_RACE_THRESHOLDS } from '../../../src/core/findings/doctor/dnsRace.js';
import { parseStatFile } from '../../../src/core/statFile.js';
import { evaluateStatus } from '../../../src/core/status.js';
import {
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  statusOf,
} from '../../support/findings.js';
import { fixture } from '../../support/paths.js';

const racing = statusOf(1000, 262144, { insert_failed: 3, clash_resolve: 2 });

describe('dns-insert-race rule', () => {
  it('insert_failed with DNS in the table is the A/AAAA race, on a kernel that counts clash_resolve', () => {
    const [finding] = dnsInsertRaceRule.detect(
      namespaceReadings({ status: racing, dnsShare: 0.4 }),
      doctorInput(),
    );
    assert.equal(finding!.id, `dns-insert-race:${namespaceReadings().inode}`);
    assert.equal(finding!.severity, 'warn');
    assert.deepEqual(finding!.evidence, {
      insertFailedPerSecond: 3,
      clashResolvePerSecond: 2,
      clashResolvePresent: 'yes',
      udp53Share: 0.4,
      kernelRelease: '6.18.44',
    });
    assert.match(finding!.explanation, /counts clash_resolve/);
    assert.ok(finding!.fix.commands.includes('ip netns exec web conntrack -S'));
    assertDocumentedDoctorFinding(dnsInsertRaceRule.kinds, finding!);
  });

  it(`needs more than ${DNS_INSERT_RACE_THRESHOLDS.minDnsShare * 100} % DNS entries`, () => {
    const ns = namespaceReadings({ status: racing, dnsShare: DNS_INSERT_RACE_THRESHOLDS.minDnsShare });
    assert.deepEqual(dnsInsertRaceRule.detect(ns, doctorInput()), []);
  });

  it('is no race when the kernel resolved every clash, or the chain limit made every failure', () => {
    const resolved = statusOf(1000, 262144, { clash_resolve: 40 });
    assert.deepEqual(
      dnsInsertRaceRule.detect(namespaceReadings({ status: resolved, dnsShare: 0.9 }), doctorInput()),
      [],
    );
    const chains = statusOf(1000, 262144, { insert_failed: 5, chaintoolong: 5 });
    assert.deepEqual(
      dnsInsertRaceRule.detect(namespaceReadings({ status: chains, dnsShare: 0.9 }), doctorInput()),
      [],
    );
  });

  it('without a table walk the share is unknown: info, not warn', () => {
    const [finding] = dnsInsertRaceRule.detect(
      namespaceReadings({ status: racing, dnsShare: null }),
      doctorInput(),
    );
    assert.equal(finding!.severity, 'info');
    assert.equal('udp53Share' in finding!.evidence, false);
    assertDocumentedDoctorFinding(dnsInsertRaceRule.kinds, finding!);
  });

  it('names the missing fixes on a kernel whose counters have no clash_resolve', () => {
    // The captured tree with the stat header of kernels before 5.10 (searched, not clashres);
    // the second sample's insert_failed is the first's plus 4, over one second.
    const old = parseStatFile(readFileSync(fixture('proc-old-stat-header', 'net/stat/nf_conntrack'), 'utf8'));
    const later = { ...old, totals: { ...old.totals, insert_failed: (old.totals.insert_failed ?? 0) + 4 } };
    const facts = {
      kernel: '4.19.0',
      entrySize: { bytes: 256, source: 'slabinfo' as const },
      netns: { inode: 1, initial: false },
    };
    const status = evaluateStatus(
      { takenAtMs: 0, count: 10, max: 262144, buckets: 262144, stats: old },
      { takenAtMs: 1000, count: 10, max: 262144, buckets: 262144, stats: later },
      facts,
    );
    const host = doctorInput({ kernel: { major: 4, minor: 19, release: '4.19.0' } });
    const [finding] = dnsInsertRaceRule.detect(namespaceReadings({ status, dnsShare: 0.5 }), host);
    assert.equal(finding!.evidence.clashResolvePresent, 'no');
    assert.match(
      finding!.explanation,
      /resolves only clashes of identical entries \(ed07d9a021df, 4\.19\).*6a757c07e51f/,
    );
  });
});
