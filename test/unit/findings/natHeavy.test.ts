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
    assertDocumentedTableFinding(natHeavyRule.kinds, finding!);
  });

  it('a table without NAT yields nothing', () => {
    assert.deepEqual(natHeavyRule.detect(tableReadings(summarize(healthy))), []);
  });
});
