import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collect, dataOr, required } from '../../../src/collectors/collector.js';
import { CtdoctorError, type ErrorKind } from '../../../src/core/errors.js';
import { withFileDeadline } from '../../../src/host/fileFailures.js';

describe('collect', () => {
  it('returns the data and how long the read took', async () => {
    const collected = await collect('answer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 42;
    });
    assert.equal(collected.collector, 'answer');
    assert.ok(collected.ok);
    assert.equal(collected.data, 42);
    assert.ok(collected.durationMs >= 15, `durationMs ${collected.durationMs}`);
  });

  for (const [kind, reason] of [
    ['not-found', 'absent'],
    ['not-loaded', 'absent'],
    ['permission', 'permission'],
    ['missing-tool', 'tool-missing'],
    ['kernel', 'failed'],
    ['bad-input', 'failed'],
  ] as const satisfies readonly (readonly [ErrorKind, string])[]) {
    it(`a ${kind} error is the reason "${reason}", its message kept`, async () => {
      const collected = await collect('reading', () =>
        Promise.reject(new CtdoctorError(kind, 'the one line')),
      );
      assert.ok(!collected.ok);
      assert.equal(collected.reason, reason);
      assert.equal(collected.message, 'the one line');
      assert.equal(typeof collected.durationMs, 'number');
    });
  }

  it('a read that hung past its deadline is "timed-out", told apart from a failure', async () => {
    const collected = await collect('reading', () =>
      withFileDeadline('/proc/net/stat/nf_conntrack', 'read', new Promise<never>(() => {}), 20),
    );
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'timed-out');
    assert.match(collected.message, /nf_conntrack/);
  });

  it('an error that is no CtdoctorError (a bug) is "failed", not a crash', async () => {
    const collected = await collect('reading', () => Promise.reject(new TypeError('x is undefined')));
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'failed');
    assert.equal(collected.message, 'x is undefined');
  });
});

describe('required and dataOr', () => {
  it('required rethrows the very error the read threw, so a command fails as before', async () => {
    const error = new CtdoctorError('not-loaded', 'nf_conntrack is not loaded');
    const collected = await collect('table size', () => Promise.reject(error));
    assert.throws(
      () => required(collected),
      (thrown) => thrown === error,
    );
    assert.equal(dataOr(collected, null), null);
  });

  it('both give the data of a reading that worked', async () => {
    const collected = await collect('numa nodes', async () => 2);
    assert.equal(required(collected), 2);
    assert.equal(dataOr(collected, 1), 2);
  });
});
