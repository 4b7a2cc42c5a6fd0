import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  UDP_FLOOD_OFFENDER,
  rateLimitRules,
  udpFloodRule,
} from '../../../src/core/findings/table/udpFlood.js';
import { selectOffenders } from '../../../src/core/plan/blockFromFindings.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const flood = summarize(tableEntries('udp-flood'));

/**
 * The captured flood (`copies` times over) with its first `count` entries sent from `address`
 * instead: one source that holds a share of the flood by itself.
 */
function floodWithLoudSource(address: string, count: number, copies = 1) {
  return summarize(
    tableEntries('udp-flood', (text) =>
      text
        .repeat(copies)
        .split('\n')
        .map((line, i) => {
          const source = /src=(\S+)/.exec(line)?.[1];
          return i < count && source ? line.replaceAll(`=${source} `, `=${address} `) : line;
        })
        .join('\n'),
    ),
  );
}

describe('udp-flood rule', () => {
  it("names the captured flood's service, its own sources and the udp timeout in force", () => {
    const findings = udpFloodRule.detect(tableReadings(flood, { timeouts: { udp_timeout: 10 } }));
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.equal(finding!.subject, '127.0.0.1:53/udp');
    assert.equal(finding!.evidence.entries, 300);
    assert.equal(finding!.evidence.distinctSources, 300);
    assert.equal(finding!.evidence.answered, 0);
    assert.equal(finding!.evidence.udpTimeoutSeconds, 10);
    // Each of the 300 spoofed-like sources sent one flow, a third of a percent: one of a crowd.
    assert.equal(finding!.evidence.floodTopSources, 'each under 1.0%');
    assert.equal(finding!.commands[0], 'ctdoctor notrack --port 53 --proto udp');
    assertDocumentedTableFinding(udpFloodRule.kinds, finding!);
  });

  it("uses the kernel's 30 s udp timeout when the live one is unknown (a saved dump)", () => {
    assert.equal(udpFloodRule.detect(tableReadings(flood))[0]!.evidence.udpTimeoutSeconds, 30);
  });

  it("names the flood's service, not the table's busiest destination", () => {
    // The flood moved to 127.0.0.7, beside twice the healthy capture: its pool server
    // 127.0.0.60 (400 entries) is now the table's top destination.
    const moved = tableEntries('udp-flood', (text) => text.replaceAll('=127.0.0.1 ', '=127.0.0.7 '));
    const summary = summarize([...moved, ...tableEntries('healthy'), ...tableEntries('healthy')]);
    assert.equal(summary.top.dst[0]!.key, '127.0.0.60');
    const [finding] = udpFloodRule.detect(tableReadings(summary));
    assert.equal(finding!.subject, '127.0.0.7:53/udp');
    assert.match(finding!.commands[1]!, / ip daddr 127\.0\.0\.7 udp dport 53 /);
    assertDocumentedTableFinding(udpFloodRule.kinds, finding!);
  });

  it('finds nothing in the healthy capture (its DNS is answered)', () => {
    assert.deepEqual(udpFloodRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });
});

describe('udp-flood names as offenders only sources with a material share of the flood (#13.3)', () => {
  it('the captured flood accuses no one and offers no block: no source holds a share of it', () => {
    const [finding] = udpFloodRule.detect(tableReadings(flood));
    assert.equal(finding!.offenders, undefined);
    assert.ok(!finding!.commands.some((command) => command.includes('block')), finding!.commands.join('\n'));
    assert.ok(!('tableWideTopSources' in finding!.evidence), 'the table-wide list is gone');
    assert.match(finding!.advice, /there is no one to block; do not block its busiest sources/);
    assert.deepEqual(selectOffenders([finding!], []), { offenders: [], skipped: [] });
  });

  it('one remote source sending a fifth of the flood is its offender, and the only address to block', () => {
    const summary = floodWithLoudSource('203.0.113.9', 60);
    const [finding] = udpFloodRule.detect(tableReadings(summary));
    assert.deepEqual(finding!.offenders, [{ address: '203.0.113.9', entries: 60, share: '20%' }]);
    assert.equal(finding!.evidence.floodTopSources, '203.0.113.9 20%', 'the others are a crowd');
    assert.equal(finding!.commands.at(-1), 'ctdoctor block --from-findings --ttl 1h');
    assert.match(finding!.advice, /block only the offenders it names, 203\.0\.113\.9 \(60 flows\)/);
    assert.deepEqual(
      selectOffenders([finding!], []).offenders.map((o) => o.address),
      ['203.0.113.9'],
    );
    assertDocumentedTableFinding(udpFloodRule.kinds, finding!);
  });

  it(`a source under ${UDP_FLOOD_OFFENDER.minEntries} flows is no offender, whatever its share`, () => {
    const count = UDP_FLOOD_OFFENDER.minEntries - 1;
    const [finding] = udpFloodRule.detect(tableReadings(floodWithLoudSource('203.0.113.9', count)));
    assert.match(String(finding!.evidence.floodTopSources), /^203\.0\.113\.9 \d+%/);
    assert.equal(finding!.offenders, undefined);
  });

  it(`a source under ${UDP_FLOOD_OFFENDER.minShareOfFlood * 100} % of a bigger flood is no offender`, () => {
    // 55 of 600 flows (the capture twice): over the absolute floor, under a tenth of the flood.
    const [finding] = udpFloodRule.detect(tableReadings(floodWithLoudSource('203.0.113.9', 55, 2)));
    assert.equal(finding!.evidence.entries, 600);
    assert.equal(finding!.offenders, undefined);
  });

  it('a loopback offender is named, but the advice finds the process instead of blocking it', () => {
    const [finding] = udpFloodRule.detect(tableReadings(floodWithLoudSource('127.0.0.9', 60)));
    assert.deepEqual(finding!.offenders, [{ address: '127.0.0.9', entries: 60, share: '20%' }]);
    assert.ok(!finding!.commands.some((command) => command.includes('block')), finding!.commands.join('\n'));
    assert.equal(finding!.commands.at(-1), 'ss -uanp src 127.0.0.9');
    assertDocumentedTableFinding(udpFloodRule.kinds, finding!);
  });

  it('in order: notrack, then a per-source limit of new flows (nft meter, iptables hashlimit)', () => {
    assert.deepEqual(udpFloodRule.detect(tableReadings(flood))[0]!.commands, [
      'ctdoctor notrack --port 53 --proto udp',
      "nft 'add table inet ctdoctor_ratelimit; add chain inet ctdoctor_ratelimit input { type filter hook input priority filter; policy accept; }; add rule inet ctdoctor_ratelimit input ip daddr 127.0.0.1 udp dport 53 ct state new meter udp53_new { ip saddr timeout 60s limit rate over 20/second burst 40 packets } drop'",
      'iptables -I INPUT -p udp -d 127.0.0.1 --dport 53 -m conntrack --ctstate NEW -m hashlimit --hashlimit-mode srcip --hashlimit-above 20/second --hashlimit-burst 40 --hashlimit-name udp53_new -j DROP',
      'iptables -t raw -A PREROUTING -p udp --dport 53 -j CT --notrack',
    ]);
  });

  it('an IPv6 service gets ip6 matches and ip6tables', () => {
    const rules = rateLimitRules('53', '2001:db8::53');
    assert.match(rules.nft, /ip6 daddr 2001:db8::53 udp dport 53 .*\{ ip6 saddr timeout/);
    assert.match(rules.iptables, /^ip6tables -I INPUT -p udp -d 2001:db8::53 --dport 53 /);
  });
});
