import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEAD_UPSTREAM_THRESHOLDS, deadUpstreamRule } from '../../../src/core/findings/table/deadUpstream.js';
import { udpFloodRule } from '../../../src/core/findings/table/udpFlood.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const DEAD_RESOLVER = '127.99.0.53';
const deadUdp = tableEntries('dead-upstream-udp');
const deadTcp = tableEntries('dead-upstream-tcp');

describe('dead-upstream rule', () => {
  it('names the dead resolver, not the busy live one beside it, and its clients', () => {
    const summary = summarize(deadUdp);
    const findings = deadUpstreamRule.detect(tableReadings(summary, { timeouts: { udp_timeout: 30 } }));
    assert.deepEqual(
      findings.map((finding) => finding.subject),
      [`${DEAD_RESOLVER}:53/udp`],
    );
    const [finding] = findings;
    assert.equal(finding!.evidence.answered, 0);
    assert.equal(finding!.evidence.distinctClients, 5);
    assert.match(String(finding!.evidence.clients), /^127\.\d+\.\d+\.\d+ 20%, /);
    assert.equal(finding!.evidence.timeout, 'nf_conntrack_udp_timeout');
    assert.equal(finding!.evidence.timeoutSeconds, 30);
    assert.deepEqual(finding!.commands, [
      'ctdoctor timeouts --set udp_timeout=10',
      `conntrack -L -p udp -d ${DEAD_RESOLVER} --dport 53`,
      `conntrack -D -p udp -d ${DEAD_RESOLVER} --dport 53`,
    ]);
    // It names no offender and never says to block: these are the operator's own clients.
    assert.equal(finding!.offenders, undefined);
    assert.match(finding!.advice, /from 5 clients on this host \(127\.\S+ 20%, /);
    assert.match(finding!.advice, /resolver list in \/etc\/resolv\.conf/);
    assert.match(finding!.advice, /If these clients are not yours, treat it as a flood/);
    assertDocumentedTableFinding(deadUpstreamRule.kinds, finding!);
  });

  it('is no udp-flood: neither the dead resolver nor the busy live one', () => {
    assert.deepEqual(udpFloodRule.detect(tableReadings(summarize(deadUdp))), []);
  });

  it('the subject moves with the data: the clients retry another dead address', () => {
    const moved = tableEntries('dead-upstream-udp', (text) =>
      text.replaceAll(`=${DEAD_RESOLVER} `, '=127.99.0.54 '),
    );
    const [finding] = deadUpstreamRule.detect(tableReadings(summarize(moved)));
    assert.equal(finding!.subject, '127.99.0.54:53/udp');
  });

  it('names a TCP upstream that never answers a SYN, and the SYN_SENT timeout that holds them', () => {
    const [finding, ...others] = deadUpstreamRule.detect(tableReadings(summarize(deadTcp)));
    assert.deepEqual(others, []);
    assert.equal(finding!.subject, '127.99.0.80:443/tcp');
    assert.equal(finding!.evidence.distinctClients, 3);
    assert.equal(finding!.evidence.timeout, 'nf_conntrack_tcp_timeout_syn_sent');
    assert.equal(finding!.commands[0], 'ctdoctor timeouts --set tcp_timeout_syn_sent=60');
    assertDocumentedTableFinding(deadUpstreamRule.kinds, finding!);
  });

  it('unanswered TCP that is not SYN_SENT (picked up mid-stream) is no dead upstream', () => {
    const midStream = tableEntries('dead-upstream-tcp', (text) =>
      text.replaceAll(' SYN_SENT ', ' ESTABLISHED '),
    );
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(summarize(midStream))), []);
  });

  it(`more than ${DEAD_UPSTREAM_THRESHOLDS.maxDistinctSources} sources is a flood (the captured one), not clients`, () => {
    const flood = summarize(tableEntries('udp-flood'));
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(flood)), []);
    assert.equal(udpFloodRule.detect(tableReadings(flood))[0]!.subject, '127.0.0.1:53/udp');
  });

  it('info under 10 % of the table, warn over it', () => {
    const withHealthy = (copies: number) =>
      summarize([...deadUdp, ...Array.from({ length: copies }, () => tableEntries('healthy')).flat()]);
    const warn = deadUpstreamRule.detect(tableReadings(withHealthy(2)))[0]!;
    assert.equal(warn.evidence.shareOfTable, '12%');
    assert.equal(warn.severity, 'warn');
    const quiet = deadUpstreamRule.detect(tableReadings(withHealthy(5)))[0]!;
    assert.equal(quiet.subject, `${DEAD_RESOLVER}:53/udp`);
    assert.equal(quiet.evidence.shareOfTable, '6.0%');
    assert.equal(quiet.severity, 'info');
  });

  it('a destination that answered some of its flows is not dead', () => {
    // The healthy capture's answered DNS moved to the "dead" resolver: it now answers 150 flows.
    const answering = tableEntries('healthy', (text) =>
      text.replaceAll('=127.0.0.53 ', `=${DEAD_RESOLVER} `),
    );
    const summary = summarize([...deadUdp, ...answering]);
    assert.equal(
      summary.signals.unrepliedServices.find((s) => s.destination === DEAD_RESOLVER)!.answered,
      150,
    );
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(summary)), []);
  });

  it('finds nothing where every service answers (the healthy capture)', () => {
    assert.deepEqual(deadUpstreamRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });
});
