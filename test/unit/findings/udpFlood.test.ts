import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UDP_FLOOD_THRESHOLDS, udpFloodRule } from '../../../src/core/findings/table/udpFlood.js';
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
