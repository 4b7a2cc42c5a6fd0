import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKernelRelease } from '../../../src/core/kernelInfo.js';
import { tableMemoryBytes } from '../../../src/core/memory.js';
import { BUCKETS_KEY, MAX_KEY } from '../../../src/core/plan/mitigationPlan.js';
import {
  type ReliefBounds,
  type ReliefReading,
  type TableFullLoss,
  decideRelief,
  findTableFullLoss,
} from '../../../src/core/plan/reliefDecision.js';

const GIB = 1024 ** 3;
const MINUTE_MS = 60_000;

function reading(inode: number, entries: number, counters: Record<string, number>): ReliefReading {
  return { inode, entries, max: 400, buckets: 65536, counters };
}

const bounds: ReliefBounds = {
  kernel: parseKernelRelease('6.18.0'),
  memTotalBytes: 8 * GIB,
  entryBytes: 256,
  memoryBudgetBytes: 0.1 * 8 * GIB,
};

const fullAt400: TableFullLoss = { inode: 7, entries: 400, max: 400, buckets: 65536, lost: 120, seconds: 1 };

describe('auto-relief: when a table counts as full and dropping', () => {
  const quiet = { drop: 5, early_drop: 10, insert_failed: 3 };

  it('drop or early_drop rising at a full table is a table-full loss; the worst namespace is named', () => {
    const loss = findTableFullLoss(
      [reading(1, 399, quiet), reading(2, 400, quiet)],
      [reading(1, 399, { ...quiet, early_drop: 30 }), reading(2, 400, { ...quiet, drop: 105 })],
      1,
    );
    assert.deepEqual(loss, { inode: 2, entries: 400, max: 400, buckets: 65536, lost: 100, seconds: 1 });
  });

  it('dropping far from full is not a sizing problem', () => {
    assert.equal(
      findTableFullLoss([reading(1, 200, quiet)], [reading(1, 200, { ...quiet, drop: 500 })], 1),
      undefined,
    );
  });

  it('insert_failed alone (a DNS clash) at a full table is not relieved: a bigger table does not cure it', () => {
    assert.equal(
      findTableFullLoss([reading(1, 400, quiet)], [reading(1, 400, { ...quiet, insert_failed: 900 })], 1),
      undefined,
    );
  });

  it('a full table that loses nothing, a counter reset, or a namespace new in this sample is no loss', () => {
    assert.equal(findTableFullLoss([reading(1, 400, quiet)], [reading(1, 400, quiet)], 1), undefined);
    assert.equal(
      findTableFullLoss([reading(1, 400, { drop: 900 })], [reading(1, 400, { drop: 3 })], 1),
      undefined,
    );
    assert.equal(findTableFullLoss([], [reading(1, 400, { drop: 900 })], 1), undefined);
  });
});

describe('auto-relief: the step', () => {
  const input = {
    loss: fullAt400,
    nowMs: 10 * MINUTE_MS,
    lastAppliedAtMs: undefined,
    cooldownSeconds: 600,
    bounds,
  };

  it("steps through mitigate's planner: the limit at least doubled, buckets by the kernel's rule, never lower", () => {
    const decision = decideRelief(input);
    assert.equal(decision.kind, 'step');
    if (decision.kind !== 'step') return;
    // Peak 400 × headroom 2 → 1024 (a power of two); the 65536 buckets already cover it 1:1.
    assert.deepEqual(decision.plan.changes, [{ key: MAX_KEY, from: 400, to: 1024 }]);
    assert.equal(decision.cappedByBudget, false);
  });

  it('raises the buckets too, first, when the new limit outgrows the hash (1:1 since 5.15)', () => {
    const decision = decideRelief({ ...input, loss: { ...fullAt400, max: 65536, entries: 65536 } });
    assert.equal(decision.kind, 'step');
    if (decision.kind !== 'step') return;
    assert.deepEqual(decision.plan.changes, [
      { key: BUCKETS_KEY, from: 65536, to: 131072 },
      { key: MAX_KEY, from: 65536, to: 131072 },
    ]);
  });

  it('at most once per cool-down', () => {
    const soon = decideRelief({ ...input, lastAppliedAtMs: input.nowMs - 9 * MINUTE_MS });
    assert.equal(soon.kind, 'skip');
    assert.equal(soon.kind === 'skip' && soon.reason, 'cool-down');
    assert.match(soon.kind === 'skip' ? soon.message : '', /next is possible in 60 s/);
    assert.equal(decideRelief({ ...input, lastAppliedAtMs: input.nowMs - 10 * MINUTE_MS }).kind, 'step');
  });

  it('is capped at the largest limit the memory budget holds, never above it', () => {
    const budget = tableMemoryBytes(1_500_000, 1_500_000, 256);
    const loss = { ...fullAt400, entries: 1_000_000, max: 1_000_000, buckets: 1_000_448 };
    const decision = decideRelief({ ...input, loss, bounds: { ...bounds, memoryBudgetBytes: budget } });
    assert.equal(decision.kind, 'step');
    if (decision.kind !== 'step') return;
    assert.equal(decision.cappedByBudget, true);
    const { max, buckets } = decision.plan.target;
    assert.ok(max > 1_000_000 && max < 2_000_000, `max ${max} is between the current and the uncapped step`);
    assert.ok(tableMemoryBytes(max, buckets, 256) <= budget, 'a full table at the new max fits the budget');
    assert.ok(tableMemoryBytes(max + 1024, buckets + 1024, 256) > budget, 'and no much larger one would');
  });

  it('skips when no higher limit fits the budget, and names the flag that raises it', () => {
    const budget = tableMemoryBytes(1_000_000, 1_000_448, 256);
    const loss = { ...fullAt400, entries: 1_000_000, max: 1_000_000, buckets: 1_000_448 };
    const decision = decideRelief({ ...input, loss, bounds: { ...bounds, memoryBudgetBytes: budget } });
    assert.equal(decision.kind, 'skip');
    assert.equal(decision.kind === 'skip' && decision.reason, 'at the limit');
    assert.match(decision.kind === 'skip' ? decision.message : '', /raise --relief-budget/);
  });
});
