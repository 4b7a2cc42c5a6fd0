import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadUpstreamRule } from '../../../src/core/findings/table/deadUpstream.js';
import { STALE_NAT_THRESHOLDS, staleNatRule } from '../../../src/core/findings/table/staleNat.js';
import { udpFloodRule } from '../../../src/core/findings/table/udpFlood.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const DEAD_BACKEND = '127.0.0.81';
const stale = summarize(tableEntries('stale-nat'));

/**
 * The capture with `pinned` of the dead backend's unanswered entries and `answered` of the flows it
 * answered before it died (every other entry kept).
 */
function withDeadBackend(pinned: number, answered: number) {
  const kept = { pinned: 0, answered: 0 };
  return summarize(
    tableEntries('stale-nat', (text) =>
      text
        .split('\n')
        .filter((line) => {
          if (!line.includes(` src=${DEAD_BACKEND} `)) return true;
          return line.includes('[UNREPLIED]') ? kept.pinned++ < pinned : kept.answered++ < answered;
        })
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
    // 120 pinned clients; the 30 flows it answered before it was killed linger until they time out.
    assert.equal(finding!.evidence.entries, 150);
    assert.equal(finding!.evidence.unreplied, 120);
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

  it('five pinned clients are an outage; four are no finding', () => {
    assert.equal(staleNatRule.detect(tableReadings(withDeadBackend(5, 0))).length, 1);
    assert.deepEqual(staleNatRule.detect(tableReadings(withDeadBackend(4, 0))), []);
  });

  it('a service whose only backend died is stale-nat, not dead-upstream: the DNAT chose the address', () => {
    // 30 pinned clients and nothing else: the service answered none of its flows.
    const only = summarize(
      tableEntries('stale-nat', (text) =>
        text
          .split('\n')
          .filter((line) => line.includes(`[UNREPLIED] src=${DEAD_BACKEND} `))
          .slice(0, 30)
          .join('\n'),
      ),
    );
    assert.equal(only.signals.unrepliedServices[0]!.answered, 0);
    assert.equal(staleNatRule.detect(tableReadings(only)).length, 1);
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(only)), []);
  });

  it(`a backend answering more than ${100 - STALE_NAT_THRESHOLDS.minUnrepliedRatio * 100} % of its flows is alive`, () => {
    assert.equal(staleNatRule.detect(tableReadings(withDeadBackend(30, 30))).length, 1);
    assert.deepEqual(staleNatRule.detect(tableReadings(withDeadBackend(29, 30))), []);
  });

  it("is no udp-flood: the service's unanswered entries are its pinned clients", () => {
    assert.deepEqual(udpFloodRule.detect(tableReadings(stale)), []);
  });

  it('is no dead-upstream: the clients chose a live address, the DNAT chose the dead one', () => {
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(stale)), []);
  });

  it("finds nothing where nothing is DNAT'd (the healthy capture)", () => {
    assert.deepEqual(staleNatRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });
});
