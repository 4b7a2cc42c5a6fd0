import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protocolName } from '../../../src/core/table/entry.js';
import { unknownProtocolRule } from '../../../src/core/findings/table/unknownProtocol.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const healthy = tableEntries('healthy');
/** The captured entries of protocols conntrack has no tracker for (protocol 99 in the fixture). */
const unknown = tableEntries('protocols').filter((entry) =>
  protocolName(entry.protoNum).startsWith('unknown'),
);

describe('invalid-or-unknown rule', () => {
  it('reports generic-tracked protocols holding a tenth of the table', () => {
    const entries = [...healthy, ...Array.from({ length: 120 }, () => unknown).flat()];
    const [finding] = unknownProtocolRule.detect(tableReadings(summarize(entries)));
    assert.equal(finding!.evidence.entries, 120 * unknown.length);
    assert.equal(finding!.evidence.protocols, `unknown(99) ${120 * unknown.length}`);
    assert.equal(finding!.severity, 'warn');
    assertDocumentedTableFinding(unknownProtocolRule.kinds, finding!);
  });

  it('a few such entries are not worth a finding', () => {
    assert.deepEqual(unknownProtocolRule.detect(tableReadings(summarize([...healthy, ...unknown]))), []);
  });
});
