import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { portScanRule } from '../../../src/core/findings/table/portScan.js';
import { unrepliedHeavyRule } from '../../../src/core/findings/table/unrepliedHeavy.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const scan = summarize(tableEntries('scan'));

describe('unreplied-heavy rule', () => {
  it('is critical on its own when most of a pressured table never answered', () => {
    const [finding] = unrepliedHeavyRule.detect(tableReadings(scan));
    assert.equal(finding!.severity, 'crit');
    assert.equal(finding!.evidence.shareOfTable, '91%');
    assertDocumentedTableFinding(unrepliedHeavyRule.kinds, finding!);
  });

  it('steps back to info when a scan already explains the entries', () => {
    const earlier = portScanRule.detect(tableReadings(scan));
    assert.equal(unrepliedHeavyRule.detect(tableReadings(scan, {}, earlier))[0]!.severity, 'info');
  });

  it('finds nothing where entries are answered (the captured pool)', () => {
    assert.deepEqual(unrepliedHeavyRule.detect(tableReadings(summarize(tableEntries('pool')))), []);
  });
});
