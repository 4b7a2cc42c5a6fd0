import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natHeavyRule } from '../../../src/core/findings/table/natHeavy.js';
import { natKind } from '../../../src/core/table/entry.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const healthy = tableEntries('healthy');
/** The captured SNAT and DNAT entries (their reply tuples differ from the original). */
const natted = tableEntries('protocols').filter((entry) => natKind(entry) !== 'none');

describe('nat-heavy rule', () => {
  it('reports a table mostly NATed, counting SNAT and DNAT', () => {
    const entries = [...healthy, ...Array.from({ length: 250 }, () => natted).flat()];
    const [finding] = natHeavyRule.detect(tableReadings(summarize(entries)));
    assert.equal(finding!.severity, 'info');
    assert.equal(finding!.evidence.snat, 250);
    assert.equal(finding!.evidence.dnat, 250);
    // The captured DNAT: 10.1.1.1 → 10.2.2.3:80, translated to the backend 10.8.8.8:8080.
    assert.equal(finding!.evidence.dnatServices, '10.2.2.3:80/tcp 250 (1 backend)');
    assert.match(finding!.advice, /the busiest DNAT'd services: 10\.2\.2\.3:80\/tcp 250 \(1 backend\)/);
    assertDocumentedTableFinding(natHeavyRule.kinds, finding!);
  });

  it('a table without NAT yields nothing', () => {
    assert.deepEqual(natHeavyRule.detect(tableReadings(summarize(healthy))), []);
  });
});
