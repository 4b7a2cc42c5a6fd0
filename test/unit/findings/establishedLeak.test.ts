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
const TWO_HOURS = 7200;

/**
 * The captured pool with its first `aged` entries silent for two hours: their remaining timeout is
 * the kernel's 432000 s less 7200 (what `conntrack -U --timeout` does to a live entry).
 */
function agedPool(aged: number, rewrite: (line: string) => string = (line) => line) {
  return summarize(
    tableEntries('pool', (text) =>
      text
        .split('\n')
        .map((line, i) =>
          rewrite(
            i < aged ? line.replace(/ 6 \d+ ESTABLISHED /, ` 6 ${432000 - TWO_HOURS} ESTABLISHED `) : line,
          ),
        )
        .join('\n'),
    ),
  );
}

describe('established-leak rule: decided by idleness and share', () => {
  it('names a pool whose connections have been silent for hours', () => {
    const [finding] = establishedLeakRule.detect(tableReadings(agedPool(300)));
    assert.equal(finding!.kind, ESTABLISHED_LEAK.id);
    assert.equal(finding!.subject, SUBJECT);
    assert.equal(finding!.evidence.idleLong, 300);
    assert.equal(finding!.evidence.meanIdleSeconds, TWO_HOURS);
    assert.equal(finding!.evidence.minIdleSeconds, TWO_HOURS);
    assert.equal(finding!.evidence.establishedTimeoutSeconds, 432000);
    // Two hours idle is far from the 4 days a 24 h timeout would cut: it frees none yet.
    assert.equal(finding!.evidence.freedByTimeout86400, 0);
    assertDocumentedTableFinding(establishedLeakRule.kinds, finding!);
  });

  it('the subject moves with the data: the same pool held by another client', () => {
    const moved = agedPool(300, (line) => line.replaceAll(`=${POOL.client} `, '=127.0.0.51 '));
    const [finding] = establishedLeakRule.detect(tableReadings(moved));
    assert.equal(finding!.subject, `127.0.0.51 -> ${POOL.server}:${POOL.port}`);
  });

  it('the captured pool, its timers fresh, is a busy client: info, nothing to block or fix', () => {
    const [finding] = establishedLeakRule.detect(
      tableReadings(summarize(tableEntries('pool')), { max: 300 }),
    );
    assert.equal(finding!.kind, BUSY_CLIENT.id);
    assert.equal(finding!.subject, SUBJECT);
    assert.equal(finding!.severity, 'info', 'never pages, even near the limit');
    assert.equal(finding!.evidence.idleLong, 0);
    assertDocumentedTableFinding(establishedLeakRule.kinds, finding!);
  });

  it('half of its entries silent for hours makes a leak; one fewer is a busy client', () => {
    assert.equal(establishedLeakRule.detect(tableReadings(agedPool(150)))[0]!.kind, ESTABLISHED_LEAK.id);
    assert.equal(establishedLeakRule.detect(tableReadings(agedPool(149)))[0]!.kind, BUSY_CLIENT.id);
  });

  it('the same pool spread over 50 clients (the healthy capture) is neither', () => {
    assert.deepEqual(establishedLeakRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });

  it('severity follows pressure: crit near the limit, warn far from it', () => {
    const summary = agedPool(300);
    assert.equal(establishedLeakRule.detect(tableReadings(summary, { max: 300 }))[0]!.severity, 'crit');
    assert.equal(establishedLeakRule.detect(tableReadings(summary, { max: 262144 }))[0]!.severity, 'warn');
  });
});
