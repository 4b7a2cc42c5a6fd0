import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TIME_WAIT_SERVICE_SHARE,
  TIME_WAIT_THRESHOLDS,
  timeWaitPileRule,
} from '../../../src/core/findings/table/timeWaitPile.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const churn = summarize(tableEntries('time-wait'));

describe('time-wait-pile rule', () => {
  it('names the service of the captured churn, its client and the TIME_WAIT timeout in force', () => {
    const [finding] = timeWaitPileRule.detect(
      tableReadings(churn, { timeouts: { tcp_timeout_time_wait: 60 } }),
    );
    assert.equal(finding!.subject, '127.0.0.1:8080/tcp');
    assert.equal(finding!.evidence.entries, 300);
    assert.equal(finding!.evidence.clients, '127.0.0.40 100%');
    assert.equal(finding!.evidence.distinctClients, 1);
    assert.equal(finding!.evidence.timeoutSeconds, 60);
    assert.match(finding!.advice, /held 60 s each/);
    // The clients first (keep-alive, pooling), then the timeout.
    assert.match(
      finding!.advice,
      /made by 1 client of 127\.0\.0\.1:8080\/tcp \(127\.0\.0\.40 100%\).*First make those clients reuse connections.*then a shorter conntrack TIME_WAIT/,
    );
    assert.equal(finding!.commands.at(-1), 'conntrack -L -p tcp --state TIME_WAIT -d 127.0.0.1 --dport 8080');
    assertDocumentedTableFinding(timeWaitPileRule.kinds, finding!);
  });

  it('the subject moves with the data: the same churn to another service from two other clients', () => {
    const moved = tableEntries('time-wait', (text) =>
      text
        .split('\n')
        .map((line, i) =>
          line.replace(
            /src=127\.0\.0\.40 dst=127\.0\.0\.1 (sport=\d+) dport=8080 src=127\.0\.0\.1 dst=127\.0\.0\.40 sport=8080/,
            `src=127.0.0.2${i % 2} dst=127.0.0.80 $1 dport=9090 src=127.0.0.80 dst=127.0.0.2${i % 2} sport=9090`,
          ),
        )
        .join('\n'),
    );
    const [finding] = timeWaitPileRule.detect(tableReadings(summarize(moved)));
    assert.equal(finding!.subject, '127.0.0.80:9090/tcp');
    assert.match(String(finding!.evidence.clients), /^127\.0\.0\.2[01] 50%, 127\.0\.0\.2[01] 50%$/);
    assert.equal(finding!.evidence.distinctClients, 2);
    assertDocumentedTableFinding(timeWaitPileRule.kinds, finding!);
  });

  it(`a pile no service holds ${TIME_WAIT_SERVICE_SHARE * 100} % of is the state's, with its busiest services`, () => {
    // The captured churn split over three ports: 100 entries each, a third of the pile.
    const spread = tableEntries('time-wait', (text) =>
      text
        .split('\n')
        .map((line, i) => line.replaceAll('8080', String(8080 + (i % 3))))
        .join('\n'),
    );
    const [finding] = timeWaitPileRule.detect(tableReadings(summarize(spread)));
    assert.equal(finding!.subject, 'TIME_WAIT');
    assert.match(String(finding!.evidence.services), /^127\.0\.0\.1:808[0-2]\/tcp 33%, /);
    assert.ok(!('clients' in finding!.evidence));
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
    assert.equal(timeWaitPileRule.detect(tableReadings(churn, { max: 300 }))[0]!.severity, 'crit');
  });
});
