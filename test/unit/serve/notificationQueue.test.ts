import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_BACKOFF, retryDelaySeconds } from '../../../src/core/alerts/retryBackoff.js';
import {
  type DeliveryOutcome,
  NotificationQueue,
  type QueueResult,
} from '../../../src/host/notificationQueue.js';

const FAST = { initialSeconds: 0.005, maxSeconds: 0.02, maxAttempts: 4, jitter: 0 };

function recordingQueue(deliver: (item: number) => Promise<DeliveryOutcome>, capacity = 10, backoff = FAST) {
  const settled: string[] = [];
  const queue = new NotificationQueue<number>({
    deliver,
    capacity,
    backoff,
    settled: (result: QueueResult, reason?: string) => settled.push(reason ? `${result}: ${reason}` : result),
  });
  return { queue, settled };
}

describe('the notification queue', () => {
  it('stays bounded: beyond its capacity the oldest waiting notification is dropped and counted', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const delivered: number[] = [];
    const { queue, settled } = recordingQueue(async (item) => {
      await gate;
      delivered.push(item);
      return { result: 'sent' };
    }, 3);
    for (let item = 1; item <= 6; item++) queue.push(item);
    // 1 is being delivered; 2..6 wait in a queue of 3, so 2 and 3 are pushed out.
    assert.deepEqual(settled, [
      'dropped: more than 3 notifications waiting',
      'dropped: more than 3 notifications waiting',
    ]);
    open();
    await queue.idle();
    assert.deepEqual(delivered, [1, 4, 5, 6], 'in order, the newest kept');
    assert.equal(settled.filter((s) => s === 'sent').length, 4);
  });

  it('retries what is worth retrying, in order, and gives up after the bound', async () => {
    const attempts: number[] = [];
    const { queue, settled } = recordingQueue(async (item) => {
      attempts.push(item);
      if (item === 1 && attempts.length < 3) return { result: 'retry', reason: 'HTTP 500' };
      if (item === 2) return { result: 'retry', reason: 'HTTP 503' };
      if (item === 3) return { result: 'failed', reason: 'HTTP 400' };
      return { result: 'sent' };
    });
    for (const item of [1, 2, 3, 4]) queue.push(item);
    await queue.idle();
    assert.deepEqual(attempts, [1, 1, 1, 2, 2, 2, 2, 3, 4], '2 is tried maxAttempts times, 3 (a 4xx) once');
    assert.deepEqual(settled, [
      'sent',
      'failed: gave up after 4 attempts: HTTP 503',
      'failed: HTTP 400',
      'sent',
    ]);
  });

  it('a delivery that throws counts as a retry, not a crash', async () => {
    let calls = 0;
    const { queue, settled } = recordingQueue(async () => {
      calls++;
      if (calls === 1) throw new Error('socket hang up');
      return { result: 'sent' };
    });
    queue.push(1);
    await queue.idle();
    assert.deepEqual(settled, ['sent']);
    assert.equal(calls, 2);
  });

  it('close() abandons a retry in wait: nothing more is sent', async () => {
    let calls = 0;
    const { queue } = recordingQueue(
      async () => {
        calls++;
        return { result: 'retry', reason: 'down' };
      },
      10,
      { ...FAST, initialSeconds: 60, maxSeconds: 60 },
    );
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    queue.close();
    await queue.idle();
    assert.equal(calls, 1);
  });
});

describe('retry back-off', () => {
  it('doubles from 1 s to 60 s and stops after the last attempt', () => {
    const delays = Array.from({ length: 10 }, (_, i) => retryDelaySeconds(i + 1, DEFAULT_RETRY_BACKOFF, 0.5));
    assert.deepEqual(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60, undefined]);
  });

  it('spreads each delay by at most the jitter either way', () => {
    assert.equal(retryDelaySeconds(3, DEFAULT_RETRY_BACKOFF, 0), 4 * 0.8);
    assert.ok(retryDelaySeconds(3, DEFAULT_RETRY_BACKOFF, 0.999999)! < 4 * 1.2);
  });
});
