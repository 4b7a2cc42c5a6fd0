import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadUpstreamRule } from '../../../src/core/findings/table/deadUpstream.js';
import { STALE_NAT_THRESHOLDS, staleNatRule } from '../../../src/core/findings/table/staleNat.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const DEAD_BACKEND = '127.0.0.81';
const stale = summarize(tableEntries('stale-nat'));

/** The capture keeping only `pinned` of the entries DNAT'd to the dead backend (and every other). */
function withPinned(pinned: number) {
  let kept = 0;
  return summarize(
    tableEntries('stale-nat', (text) =>
      text
        .split('\n')
        .filter((line) => !line.includes(` src=${DEAD_BACKEND} `) || kept++ < pinned)
        .join('\n'),
    ),
  );
}

describe('stale-nat rule', () => {
  it('names the service and its dead backend, the live one it moved to, and the exact delete', () => {
    const findings = staleNatRule.detect(tableReadings(stale, { timeouts: { udp_timeout: 30 } }));
    assert.deepEqual(
      findings.map((finding) => finding.subject),
      [`127.0.0.80:53/udp -> ${DEAD_BACKEND}:5353`],
    );
    const [finding] = findings;
    assert.equal(finding!.severity, 'warn');
    assert.equal(finding!.evidence.unreplied, finding!.evidence.entries);
    assert.ok(Number(finding!.evidence.entries) >= STALE_NAT_THRESHOLDS.minEntries);
    assert.match(String(finding!.evidence.otherBackends), /^127\.0\.0\.82:5353 \d+ \(0 unanswered\)$/);
    // Every retry refreshed the timer: the pinned entries are nowhere near expiring.
    assert.ok(
      Number(finding!.evidence.meanRemainingSeconds) >= 25,
      String(finding!.evidence.meanRemainingSeconds),
    );
    assert.equal(finding!.evidence.udpTimeoutSeconds, 30);
    assert.deepEqual(finding!.commands, [
      `conntrack -D -p udp --orig-dst 127.0.0.80 --orig-port-dst 53 --reply-src ${DEAD_BACKEND}`,
    ]);
    assert.match(finding!.advice, /NAT'd on the first packet|DNAT'd on the first packet/);
    assertDocumentedTableFinding(staleNatRule.kinds, finding!);
  });

  it('the subject moves with the data: another dead backend', () => {
    const moved = tableEntries('stale-nat', (text) => text.replaceAll(`=${DEAD_BACKEND} `, '=127.0.0.91 '));
    const [finding] = staleNatRule.detect(tableReadings(summarize(moved)));
    assert.equal(finding!.subject, '127.0.0.80:53/udp -> 127.0.0.91:5353');
    assert.match(finding!.commands[0]!, /--reply-src 127\.0\.0\.91$/);
  });

  it(`fewer than ${STALE_NAT_THRESHOLDS.minEntries} pinned clients is no finding`, () => {
    assert.equal(staleNatRule.detect(tableReadings(withPinned(STALE_NAT_THRESHOLDS.minEntries))).length, 1);
    assert.deepEqual(staleNatRule.detect(tableReadings(withPinned(STALE_NAT_THRESHOLDS.minEntries - 1))), []);
  });

  it('is no dead-upstream: the clients chose a live address, the DNAT chose the dead one', () => {
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(stale)), []);
  });

  it("finds nothing where nothing is DNAT'd (the healthy capture)", () => {
    assert.deepEqual(staleNatRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });
});
