import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hashKey } from '../../src/core/analysis/hash.js';
import { HyperLogLog } from '../../src/core/analysis/hyperLogLog.js';
import { largestIndexes } from '../../src/core/analysis/largestIndexes.js';
import { TopK, kthLargest } from '../../src/core/analysis/topK.js';

describe('TopK (Space-Saving)', () => {
  it('is exact while the keys fit', () => {
    const top = new TopK<number>(4);
    for (const key of [1, 2, 2, 3, 3, 3]) top.add(key);
    assert.ok(top.exact);
    assert.deepEqual(top.top(2), [
      { key: 3, count: 3, error: 0 },
      { key: 2, count: 2, error: 0 },
    ]);
  });

  it('bounds every count: count − error ≤ true ≤ count, and keeps every key above N/capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom('a', 'b', 'c')), {
          minLength: 1,
          maxLength: 800,
        }),
        (keys) => {
          const capacity = 8;
          const top = new TopK<number | string>(capacity);
          const truth = new Map<number | string, number>();
          for (const key of keys) {
            top.add(key);
            truth.set(key, (truth.get(key) ?? 0) + 1);
          }
          for (const item of top.top(1000)) {
            const real = truth.get(item.key) ?? 0;
            assert.ok(
              item.count >= real && item.count - item.error <= real,
              `${item.key}: ${item.count}±${item.error} vs ${real}`,
            );
          }
          for (const [key, count] of truth)
            if (count > keys.length / capacity) assert.ok(top.has(key), `lost heavy key ${key}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('merges two halves within the summed error bound', () => {
    const left = new TopK<number>(4);
    const right = new TopK<number>(4);
    const truth = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const key = i % 7 === 0 ? 1 : i % 13;
      (i < 1000 ? left : right).add(key);
      truth.set(key, (truth.get(key) ?? 0) + 1);
    }
    left.mergeState(right.toState());
    const first = left.top(1)[0]!;
    assert.equal(first.key, 1);
    assert.ok(first.count >= truth.get(1)! && first.count - first.error <= truth.get(1)!);
  });

  it('a summary merged into an empty one behaves as the original under more adds (property)', () => {
    // The bulk take-over defers its lookup tables; lookups, adds and prunes must not notice.
    const keys = fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('a', 'b')), {
      maxLength: 120,
    });
    fc.assert(
      fc.property(keys, keys, (before, after) => {
        const original = new TopK<number | string>(6);
        for (const key of before) original.add(key);
        const adopted = new TopK<number | string>(6);
        adopted.mergeState(original.toState());
        for (const key of after) {
          original.add(key);
          adopted.add(key);
          assert.equal(adopted.countOf(key), original.countOf(key));
        }
        assert.deepEqual(adopted.top(100), original.top(100));
        for (let key = 0; key <= 30; key++) assert.equal(adopted.has(key), original.has(key), String(key));
      }),
      { numRuns: 200 },
    );
  });

  it('a summary of typed arrays, as the engine gives, taken over without copies behaves as the original (property)', () => {
    const keys = fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 120 });
    fc.assert(
      fc.property(keys, keys, (before, after) => {
        const original = new TopK<number>(6);
        for (const key of before) original.add(key);
        const state = original.toState();
        const typed = {
          ...state,
          keys: Int32Array.from(state.keys),
          counts: Uint32Array.from(state.counts),
          errors: Uint32Array.from(state.errors),
        };
        const adopted = new TopK<number>(6);
        adopted.mergeState(typed);
        // Lookups before any add index the borrowed summary (after 16 of them).
        for (let key = 0; key <= 30; key++) assert.equal(adopted.has(key), original.has(key), String(key));
        for (const key of after) {
          original.add(key);
          adopted.add(key);
          assert.equal(adopted.countOf(key), original.countOf(key));
        }
        assert.deepEqual(adopted.top(100), original.top(100));
        // Its arrays are read, never written: the engine's memory stays as the engine left it.
        assert.deepEqual(Array.from(typed.counts), Array.from(state.counts));
      }),
      { numRuns: 200 },
    );
  });

  it('kthLargest selects like a sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        (values, k) => {
          const index = (k % values.length) + 1;
          const sorted = [...values].sort((a, b) => b - a);
          assert.equal(kthLargest(Float64Array.from(values), index), sorted[index - 1]);
        },
      ),
    );
  });
});

describe('HyperLogLog', () => {
  it('estimates within 3 % at precision 14 for 10 and 200k distinct keys', () => {
    for (const n of [10, 200_000]) {
      const hll = new HyperLogLog(14);
      for (let i = 0; i < n; i++) hll.addHash(hashKey(i * 7919));
      assert.ok(Math.abs(hll.estimate() - n) <= Math.max(1, n * 0.03), `${n}: ${hll.estimate()}`);
    }
  });

  it('merging equals adding to one sketch', () => {
    const a = new HyperLogLog(10);
    const b = new HyperLogLog(10);
    const both = new HyperLogLog(10);
    for (let i = 0; i < 5000; i++) {
      (i % 2 ? a : b).addHash(hashKey(`k${i}`));
      both.addHash(hashKey(`k${i}`));
    }
    a.merge(b);
    assert.equal(a.estimate(), both.estimate());
  });

  it('largestIndexes picks what a stable sort by value puts first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 300 }),
        // Past 64 rows it ranks by a sort instead of by insertion: both must agree with the reference.
        fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 60, max: 320 })),
        (values, limit) => {
          const expected = values
            .map((value, index) => ({ value, index }))
            .filter(({ value }) => value > 0)
            .sort((a, b) => b.value - a.value)
            .slice(0, limit)
            .map(({ index }) => index);
          assert.deepEqual(largestIndexes(Float64Array.from(values), values.length, limit), expected);
        },
      ),
    );
  });
});
