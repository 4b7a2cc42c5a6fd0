import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../../src/core/errors.js';
import { VERIFY_MAX_RATE, verifyWorkload } from '../../../src/core/lab/planWorkload.js';
import { MAX_POOL_CONNECTIONS } from '../../../src/core/lab/labScenarios.js';
import { type ClassLoad, classRows, timeoutLookup } from '../../../src/core/plan/steadyStateEntries.js';
import type { FlowClassName } from '../../../src/core/plan/flowClasses.js';

const ESTABLISHED = 432_000;
const flows = (...rows: [FlowClassName, number][]): ClassLoad[] =>
  rows.map(([name, ratePerSecond]) => ({ name, ratePerSecond, lifeSeconds: 0.2, lifeSource: 'given' }));

describe('plan --verify: the plan as lab generators', () => {
  it('a load within VERIFY_MAX_RATE runs as stated, each class by its generator, flows instant', () => {
    const workload = verifyWorkload(
      flows(['tcp-short', 400], ['udp-query', 100], ['tcp-unanswered', 50]),
      0,
      ESTABLISHED,
    );
    assert.equal(workload.scale, 1);
    assert.deepEqual(
      workload.generators.map((spec) => [spec.kind, spec.ratePerSecond]),
      [
        ['short-flows', 400],
        ['udp-dns', 100],
        ['syn-scan', 50],
      ],
    );
    assert.ok(
      workload.load.every((item) => item.lifeSeconds === 0),
      'no generator waits out a life',
    );
    assert.equal(new Set(workload.generators.map((spec) => spec.sourceOffset)).size, 3, 'own source ranges');
  });

  it(`a heavier load is scaled down to ${VERIFY_MAX_RATE}/s in all, every class by the same factor`, () => {
    const workload = verifyWorkload(flows(['tcp-short', 8000], ['udp-query', 2000]), 0, ESTABLISHED);
    assert.equal(workload.scale, VERIFY_MAX_RATE / 10_000);
    assert.deepEqual(
      workload.generators.map((spec) => spec.ratePerSecond),
      [1600, 400],
    );
    assert.deepEqual(
      workload.load.map((item) => item.ratePerSecond),
      [1600, 400],
    );
  });

  it("tcp-long is a pool of the plan's entries × scale, and the model predicts exactly that pool", () => {
    const load = [
      ...flows(['tcp-short', 4000]),
      { name: 'tcp-long' as const, ratePerSecond: 2, lifeSeconds: 600, lifeSource: 'given' as const },
    ];
    const workload = verifyWorkload(load, 1200, ESTABLISHED);
    assert.equal(workload.scale, 0.5);
    const pool = workload.generators.find((spec) => spec.kind === 'long-pool')!;
    assert.deepEqual([pool.ratePerSecond, pool.connections], [0, 600]);
    const rows = classRows(workload.load, timeoutLookup({ tcp_timeout_established: ESTABLISHED }));
    const longRow = rows.find((row) => row.class === 'tcp-long')!;
    assert.ok(
      Math.abs(longRow.entries - 600) < 1e-6,
      `the model predicts ${longRow.entries} for a pool of 600`,
    );
  });

  it('the pool is at least one connection and at most MAX_POOL_CONNECTIONS', () => {
    const long = (poolEntries: number) =>
      verifyWorkload(
        [{ name: 'tcp-long', ratePerSecond: 1, lifeSeconds: 60, lifeSource: 'given' }],
        poolEntries,
        ESTABLISHED,
      ).generators[0]!.connections;
    assert.equal(long(0.2), 1);
    assert.equal(long(1e7), MAX_POOL_CONNECTIONS);
  });

  it('classes the lab cannot make are refused, naming them and what it can make; a zero rate is skipped', () => {
    assert.throws(
      () => verifyWorkload(flows(['tcp-short', 10], ['udp-stream', 10], ['icmp', 5]), 0, ESTABLISHED),
      (error: unknown) =>
        error instanceof CtdoctorError &&
        error.kind === 'usage' &&
        /--verify cannot generate udp-stream, icmp yet \(it makes tcp-short, tcp-long, tcp-unanswered and udp-query\): drop those classes/.test(
          error.message,
        ),
    );
    const workload = verifyWorkload(flows(['tcp-short', 10], ['icmp', 0]), 0, ESTABLISHED);
    assert.deepEqual(
      workload.generators.map((spec) => spec.kind),
      ['short-flows'],
    );
  });
});
