import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadUpstreamRule } from '../../../src/core/findings/table/deadUpstream.js';
import { portScanRule } from '../../../src/core/findings/table/portScan.js';
import { udpFloodRule } from '../../../src/core/findings/table/udpFlood.js';
import { unrepliedHeavyRule } from '../../../src/core/findings/table/unrepliedHeavy.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const scan = summarize(tableEntries('scan'));

describe('unreplied-heavy rule', () => {
  it('is critical on its own when most of a pressured table never answered', () => {
    const [finding] = unrepliedHeavyRule.detect(tableReadings(scan));
    assert.equal(finding!.severity, 'crit');
    assert.equal(finding!.evidence.shareOfTable, '91%');
    // A scan's entries are spread over 200 ports: no service holds them, the flag is the subject.
    assert.equal(finding!.subject, 'UNREPLIED');
    assert.equal(finding!.evidence.topServices, 'each under 1.0%');
    assertDocumentedTableFinding(unrepliedHeavyRule.kinds, finding!);
  });

  it('steps back to info when a scan already explains the entries', () => {
    const earlier = portScanRule.detect(tableReadings(scan));
    assert.equal(unrepliedHeavyRule.detect(tableReadings(scan, {}, earlier))[0]!.severity, 'info');
  });

  it('names the service holding most of them, and steps back beside the flood that explains it', () => {
    const flood = summarize(tableEntries('udp-flood'));
    const [alone] = unrepliedHeavyRule.detect(tableReadings(flood));
    assert.equal(alone!.subject, '127.0.0.1:53/udp');
    assert.equal(alone!.evidence.topServices, '127.0.0.1:53/udp 100%');
    assertDocumentedTableFinding(unrepliedHeavyRule.kinds, alone!);
    const earlier = udpFloodRule.detect(tableReadings(flood));
    assert.equal(unrepliedHeavyRule.detect(tableReadings(flood, {}, earlier))[0]!.severity, 'info');
  });

  it('steps back beside a dead upstream too', () => {
    const dead = summarize(tableEntries('dead-upstream-tcp'));
    const earlier = deadUpstreamRule.detect(tableReadings(dead));
    assert.equal(earlier.length, 1);
    for (const finding of unrepliedHeavyRule.detect(tableReadings(dead, {}, earlier)))
      assert.equal(finding.severity, 'info');
  });

  it('finds nothing where entries are answered (the captured pool)', () => {
    assert.deepEqual(unrepliedHeavyRule.detect(tableReadings(summarize(tableEntries('pool')))), []);
  });
});
