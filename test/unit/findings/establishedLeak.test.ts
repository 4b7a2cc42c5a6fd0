import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { establishedLeakRule } from '../../../src/core/findings/table/establishedLeak.js';
import { POOL } from '../../../src/lab/tableScenarios.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

describe('established-leak rule', () => {
  it('names the held-open pool of the capture and what a 24 h timeout would free', () => {
    const [finding] = establishedLeakRule.detect(tableReadings(summarize(tableEntries('pool'))));
    assert.equal(finding!.subject, `${POOL.client} -> ${POOL.server}:${POOL.port}`);
    assert.equal(finding!.evidence.longLived, 300);
    // Fresh connections have ~5 days left: none idle over a day yet.
    assert.equal(finding!.evidence.freedByTimeout86400, 0);
    assertDocumentedTableFinding(establishedLeakRule.kinds, finding!);
  });

  it('the same pool spread over 50 clients (the healthy capture) is no leak', () => {
    assert.deepEqual(establishedLeakRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });

  it('severity follows pressure: crit near the limit, warn far from it', () => {
    const summary = summarize(tableEntries('pool'));
    assert.equal(establishedLeakRule.detect(tableReadings(summary, { max: 300 }))[0]!.severity, 'crit');
    assert.equal(establishedLeakRule.detect(tableReadings(summary, { max: 262144 }))[0]!.severity, 'warn');
  });
});
