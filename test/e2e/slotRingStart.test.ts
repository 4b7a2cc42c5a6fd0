import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SlotRing } from '../../src/analysisRuntime/slotRing.js';

const LAYOUT = { slots: 2, slotBytes: 64, headerFields: 1 };

/** A thread that opens the ring and marks it started after `delayMs`. */
function startLater(ring: SlotRing, delayMs: number): Worker {
  return new Worker(
    `const { workerData } = require('node:worker_threads');
     import(workerData.url).then(({ SlotRing }) => {
       const ring = new SlotRing(workerData.shared, workerData.layout);
       setTimeout(() => ring.markStarted(), workerData.delayMs);
     });`,
    {
      eval: true,
      workerData: {
        url: new URL('../../src/analysisRuntime/slotRing.js', import.meta.url).href,
        shared: ring.shared,
        layout: LAYOUT,
        delayMs,
      },
    },
  );
}

describe("waiting for a ring's producer to start", () => {
  it('gives up after its time when nobody starts, and wakes as soon as the producer starts', async () => {
    const ring = SlotRing.create(LAYOUT);
    let began = performance.now();
    assert.equal(ring.waitStarted(30), false);
    assert.ok(performance.now() - began >= 25, 'it waited its time');
    const worker = startLater(ring, 50);
    try {
      began = performance.now();
      assert.equal(ring.waitStarted(5000), true);
      assert.ok(performance.now() - began < 2500, 'woken by the start, not by the time-out');
      assert.equal(ring.started, true);
    } finally {
      await worker.terminate();
    }
  });
});
