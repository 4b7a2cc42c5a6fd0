import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryRing, historyCapacity } from '../../../src/daemon/historyRing.js';

describe('serve history ring', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new HistoryRing<number>(3);
    assert.deepEqual(ring.toArray(), []);
    assert.equal(ring.latest(), undefined);
    for (let i = 1; i <= 7; i++) ring.push(i);
    assert.deepEqual(ring.toArray(), [5, 6, 7]);
    assert.equal(ring.latest(), 7);
    assert.equal(ring.length, 3);
  });

  it('holds an hour of samples at the default 5 s interval', () => {
    assert.equal(historyCapacity(3600, 5), 720);
    assert.equal(historyCapacity(10, 3), 4);
  });
});
