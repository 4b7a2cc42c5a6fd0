import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUSY_CLIENT,
  ESTABLISHED_LEAK,
  establishedLeakRule,
} from '../../../src/core/findings/table/establishedLeak.js';
import { POOL } from '../../../src/lab/tableScenarios.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const SUBJECT = `${POOL.client} -> ${POOL.server}:${POOL.port}`;
const pool = summarize(tableEntries('pool'));

/**
 * The captured pool (aged: silent for 3 h) with its first `fresh` entries just used: a packet
 * resets an entry's timer to the full established timeout, 432000 s.
 */
function poolWithFresh(fresh: number, rewrite: (line: string) => string = (line) => line) {
  return summarize(
    tableEntries('pool', (text) =>
      text
        .split('\n')
        .map((line, i) =>
          rewrite(i < fresh ? line.replace(/ 6 \d+ ESTABLISHED /, ' 6 432000 ESTABLISHED ') : line),
        )
        .join('\n'),
    ),
  );
}

describe('established-leak rule: decided by idleness and share', () => {
  it('names the captured pool, silent for three hours', () => {
    const [finding, ...others] = establishedLeakRule.detect(tableReadings(pool));
    assert.deepEqual(others, []);
    assert.equal(finding!.kind, ESTABLISHED_LEAK.id);
    assert.equal(finding!.subject, SUBJECT);
    assert.equal(finding!.evidence.idleLong, 300);
    assert.equal(finding!.evidence.meanIdleSeconds, 10805);
    assert.equal(finding!.evidence.minIdleSeconds, 10801);
    assert.equal(finding!.evidence.establishedTimeoutSeconds, 432000);
    // Three hours idle is far from the 4 days a 24 h timeout would cut: it frees none yet.
    assert.equal(finding!.evidence.freedByTimeout86400, 0);
    assertDocumentedTableFinding(establishedLeakRule.kinds, finding!);
  });

  it('the subject moves with the data: the same pool held by another client', () => {
    const moved = poolWithFresh(0, (line) => line.replaceAll(`=${POOL.client} `, '=127.0.0.51 '));
    const [finding] = establishedLeakRule.detect(tableReadings(moved));
    assert.equal(finding!.subject, `127.0.0.51 -> ${POOL.server}:${POOL.port}`);
  });

  it('the same pool in use (fresh timers) is a busy client: info even near the limit, nothing to fix', () => {
    const [finding] = establishedLeakRule.detect(tableReadings(poolWithFresh(300), { max: 300 }));
    assert.equal(finding!.kind, BUSY_CLIENT.id);
    assert.equal(finding!.subject, SUBJECT);
    assert.equal(finding!.severity, 'info');
    assert.equal(finding!.evidence.idleLong, 0);
    assertDocumentedTableFinding(establishedLeakRule.kinds, finding!);
  });

  it('half of its entries silent for hours makes a leak; one fewer is a busy client', () => {
    assert.equal(establishedLeakRule.detect(tableReadings(poolWithFresh(150)))[0]!.kind, ESTABLISHED_LEAK.id);
    assert.equal(establishedLeakRule.detect(tableReadings(poolWithFresh(151)))[0]!.kind, BUSY_CLIENT.id);
  });

  it('a busy web server with popular, fresh clients: its heaviest users are busy-client (info), never a leak', () => {
    const summary = summarize(tableEntries('busy-client-fresh'));
    const [top] = summary.signals.establishedPairs;
    assert.ok(top!.entries > 0.05 * summary.entries && top!.entries >= 100, 'its top client has a share');
    const findings = establishedLeakRule.detect(tableReadings(summary));
    assert.ok(findings.length > 0);
    assert.deepEqual(
      new Set(findings.map((finding) => `${finding.kind} ${finding.severity}`)),
      new Set([`${BUSY_CLIENT.id} info`]),
    );
    assert.equal(findings[0]!.subject, `${top!.client} -> ${top!.server}:${top!.port}`);
  });

  it('the same pool spread over 50 clients (the healthy capture) is neither', () => {
    assert.deepEqual(establishedLeakRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });

  it('severity follows pressure: crit near the limit, warn far from it', () => {
    assert.equal(establishedLeakRule.detect(tableReadings(pool, { max: 300 }))[0]!.severity, 'crit');
    assert.equal(establishedLeakRule.detect(tableReadings(pool, { max: 262144 }))[0]!.severity, 'warn');
  });
});
