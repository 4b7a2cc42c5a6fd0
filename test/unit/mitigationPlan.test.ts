import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKernelRelease } from '../../src/core/kernelInfo.js';
import { type MitigationInput, planMitigation } from '../../src/core/plan/mitigationPlan.js';
import { MAX_ENTRIES_LIMIT } from '../../src/core/plan/settingBounds.js';

const GIB = 1024 ** 3;
const base: MitigationInput = {
  count: 1000,
  max: 1000,
  buckets: 1024,
  lossPerSecond: 0,
  kernel: parseKernelRelease('6.18.0'),
  memTotalBytes: 64 * GIB,
  entryBytes: 256,
  headroom: 2,
  memoryBudgetBytes: 64 * GIB,
  force: false,
};

describe('#11.6 mitigation plan bounds', () => {
  it('never plans a max above the kernel limit, even when doubling a full table at the limit', () => {
    const plan = planMitigation({
      ...base,
      count: MAX_ENTRIES_LIMIT,
      max: MAX_ENTRIES_LIMIT,
      lossPerSecond: 10,
      memoryBudgetBytes: Number.MAX_SAFE_INTEGER,
      memTotalBytes: Number.MAX_SAFE_INTEGER,
    });
    assert.equal(plan.target.max, MAX_ENTRIES_LIMIT);
    assert.match(plan.reasons[0] ?? '', /capped at the kernel's limit/);
    assert.ok(plan.changes.every((change) => change.to <= MAX_ENTRIES_LIMIT));
  });

  it('a kernel limit cannot be forced; a shrinking hash can', () => {
    assert.match(
      planMitigation({ ...base, requestedMax: MAX_ENTRIES_LIMIT + 1, force: true }).refusal ?? '',
      /above the kernel's limit/,
    );
    const shrink = planMitigation({ ...base, buckets: 65536, requestedBuckets: 1000 });
    assert.match(shrink.refusal ?? '', /would shrink the hash from 65536/);
    const forced = planMitigation({ ...base, buckets: 65536, requestedBuckets: 1000, force: true });
    assert.equal(forced.refusal, null);
    assert.equal(forced.target.buckets, 1024, 'rounded up to whole 4 KiB pages of buckets');
  });
});
