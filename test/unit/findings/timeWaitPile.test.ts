import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TIME_WAIT_THRESHOLDS, timeWaitPileRule } from '../../../src/core/findings/table/timeWaitPile.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

describe('time-wait-pile rule', () => {
  it('reports the captured churn with the TIME_WAIT timeout in force', () => {
    const summary = summarize(tableEntries('time-wait'));
    const [finding] = timeWaitPileRule.detect(
      tableReadings(summary, { timeouts: { tcp_timeout_time_wait: 60 } }),
    );
    assert.equal(finding!.evidence.entries, 300);
    assert.equal(finding!.evidence.timeoutSeconds, 60);
    assert.match(finding!.advice, /held 60 s each/);
    assertDocumentedTableFinding(timeWaitPileRule.kinds, finding!);
  });

  it(`stays quiet under ${TIME_WAIT_THRESHOLDS.minShare * 100} % of the table (the healthy capture's 60 of 410)`, () => {
    const summary = summarize(tableEntries('healthy'));
    assert.ok(summary.by.state.TIME_WAIT! < TIME_WAIT_THRESHOLDS.minShare * summary.entries);
    assert.deepEqual(timeWaitPileRule.detect(tableReadings(summary)), []);
  });

  it('a third of a table far from its limit is a warning; most of a table near it is critical', () => {
    const entries = [...tableEntries('time-wait'), ...tableEntries('healthy'), ...tableEntries('pool')];
    const summary = summarize(entries);
    const [finding] = timeWaitPileRule.detect(tableReadings(summary, { max: 262144 }));
    assert.equal(finding!.severity, 'warn'); // 360 of 1010: over a fifth
    assert.equal(
      timeWaitPileRule.detect(tableReadings(summarize(tableEntries('time-wait')), { max: 300 }))[0]!.severity,
      'crit',
    );
  });
});
