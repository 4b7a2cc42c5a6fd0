import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { udpReflectionRule } from '../../../src/core/findings/table/udpReflection.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

// The captured flood seen from its victim's side: the same unanswered entries, each coming FROM
// NTP's port 123 (what an NTP reflection attack looks like in the table).
const reflected = tableEntries('udp-flood').map((entry) => ({
  ...entry,
  orig: { ...entry.orig, sport: 123 },
}));

describe('udp reflection rule', () => {
  it('names the amplifier port and the loudest reflectors', () => {
    const [finding, ...rest] = udpReflectionRule.detect(tableReadings(summarize(reflected)));
    assert.equal(rest.length, 0);
    assert.equal(finding!.kind, 'udp-flood');
    assert.equal(finding!.subject, 'udp source port 123 (reflection)');
    assert.equal(finding!.evidence.entries, 300);
    assert.equal(String(finding!.evidence.topSources).split(', ').length, 3);
    assert.deepEqual(finding!.commands, ['iptables -t raw -I PREROUTING -p udp --sport 123 -j DROP']);
    assertDocumentedTableFinding(udpReflectionRule.kinds, finding!);
  });

  it('a flood from ordinary ports is no reflection', () => {
    assert.deepEqual(udpReflectionRule.detect(tableReadings(summarize(tableEntries('udp-flood')))), []);
  });
});
