import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  UDP_FLOOD_THRESHOLDS,
  rateLimitRules,
  udpFloodRule,
} from '../../../src/core/findings/table/udpFlood.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const flood = summarize(tableEntries('udp-flood'));

describe('udp-flood rule', () => {
  it('names the target of the captured flood and the udp timeout in force', () => {
    const [finding] = udpFloodRule.detect(tableReadings(flood, { timeouts: { udp_timeout: 10 } }));
    assert.equal(finding!.subject, '127.0.0.1:53/udp');
    assert.equal(finding!.evidence.entries, 300);
    assert.equal(finding!.evidence.udpTimeoutSeconds, 10);
    assert.equal(finding!.commands[0], 'ctdoctor notrack --port 53 --proto udp');
    assertDocumentedTableFinding(udpFloodRule.kinds, finding!);
  });

  it("uses the kernel's 30 s udp timeout when the live one is unknown (a saved dump)", () => {
    assert.equal(udpFloodRule.detect(tableReadings(flood))[0]!.evidence.udpTimeoutSeconds, 30);
  });

  it('names only the port when no destination takes most of the flood', () => {
    const spread = structuredClone(flood);
    spread.top.dst[0]!.count =
      Math.floor(UDP_FLOOD_THRESHOLDS.minPortShare * spread.signals.udpUnreplied) - 1;
    const [finding] = udpFloodRule.detect(tableReadings(spread));
    assert.equal(finding!.subject, 'udp/53');
    assertDocumentedTableFinding(udpFloodRule.kinds, finding!);
  });

  it('is no flood when the unanswered UDP is spread over ports', () => {
    const spread = structuredClone(flood);
    spread.signals.udpUnrepliedPorts[0]!.count = Math.floor(UDP_FLOOD_THRESHOLDS.minPortShare * 300) - 1;
    assert.deepEqual(udpFloodRule.detect(tableReadings(spread)), []);
  });

  it('finds nothing in the healthy capture (its DNS is answered)', () => {
    assert.deepEqual(udpFloodRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });
});

describe('udp-flood advice never blocks the innocent (#13.3)', () => {
  const [finding] = udpFloodRule.detect(tableReadings(flood));

  it('accuses no one and offers no block: its top sources are the whole table', () => {
    assert.equal(finding!.offenders, undefined);
    assert.ok(!finding!.commands.some((command) => command.includes('block')), finding!.commands.join('\n'));
    assert.ok(!('topSourcesOverall' in finding!.evidence), 'renamed: the list is table-wide');
    assert.match(
      finding!.advice,
      /not necessarily the flood's: this finding names no offender, so do not block them/,
    );
  });

  it('in order: notrack, then a per-source limit of new flows (nft meter, iptables hashlimit)', () => {
    assert.deepEqual(finding!.commands, [
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
