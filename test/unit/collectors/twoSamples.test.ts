import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleTwice } from '../../../src/collectors/twoSamples.js';
import { lossBetween, lossTotal } from '../../../src/core/lossWindow.js';
import type { ConntrackSample } from '../../../src/core/status.js';

describe('sampleTwice', () => {
  it('reads, waits the interval, reads again', async () => {
    const times: number[] = [];
    const { before, after } = await sampleTwice(async () => {
      times.push(performance.now());
      return times.length;
    }, 0.05);
    assert.deepEqual([before, after], [1, 2]);
    assert.ok(times[1]! - times[0]! >= 45, `${times[1]! - times[0]!} ms apart`);
  });
});

describe('lossBetween', () => {
  const sample = (takenAtMs: number, totals: Record<string, number>): ConntrackSample => ({
    takenAtMs,
    count: 10,
    max: 100,
    buckets: 64,
    stats: { source: 'procfs', counterNames: Object.keys(totals), perCpu: [totals], totals },
  });

  it('is the increase of each loss counter over the window; a reset counter counts 0', () => {
    const window = lossBetween(
      sample(1_000, { drop: 5, early_drop: 7, insert_failed: 1 }),
      sample(3_000, { drop: 9, early_drop: 7, insert_failed: 0 }),
    );
    assert.deepEqual(window, {
      seconds: 2,
      deltas: { drop: 4, early_drop: 0, insert_failed: 0 },
      count: 10,
      max: 100,
    });
    assert.equal(lossTotal(window), 4);
  });
});
