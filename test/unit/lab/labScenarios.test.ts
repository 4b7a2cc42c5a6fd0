import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../../src/core/errors.js';
import {
  LAB_SCENARIO_NAMES,
  MAX_LAB_RATE,
  MAX_POOL_CONNECTIONS,
  combineScenarios,
  parseScenario,
} from '../../../src/core/lab/labScenarios.js';

/** A usage error whose message matches `fix`: the user is told what to type instead. */
const usage = (fix: RegExp) => (error: unknown) =>
  error instanceof CtdoctorError && error.kind === 'usage' && fix.test(error.message);

describe('lab --scenario', () => {
  it('each scenario alone runs at its default rate; mixed is short-flows plus a 50-connection pool', () => {
    assert.deepEqual(parseScenario('short-flows'), [
      { kind: 'short-flows', ratePerSecond: 500, connections: 0, sourceOffset: 0 },
    ]);
    assert.deepEqual(parseScenario('mixed'), [
      { kind: 'short-flows', ratePerSecond: 500, connections: 0, sourceOffset: 0 },
      { kind: 'long-pool', ratePerSecond: 0, connections: 50, sourceOffset: 0 },
    ]);
    for (const name of LAB_SCENARIO_NAMES) assert.ok(parseScenario(name).length > 0, name);
  });

  it('rate= and connections= set the load; k and /s are accepted; the pool never gets a rate', () => {
    assert.deepEqual(
      parseScenario('mixed:rate=1.5k/s,connections=100').map((spec) => [
        spec.kind,
        spec.ratePerSecond,
        spec.connections,
      ]),
      [
        ['short-flows', 1500, 0],
        ['long-pool', 0, 100],
      ],
    );
    assert.equal(parseScenario('udp-dns:rate=80')[0]!.ratePerSecond, 80);
  });

  it('no --scenario runs mixed; combined scenarios each get their own range of source addresses', () => {
    assert.deepEqual(combineScenarios([]), combineScenarios(['mixed']));
    const specs = combineScenarios(['udp-dns', 'syn-scan:rate=100/s']);
    assert.deepEqual(
      specs.map((spec) => spec.kind),
      ['udp-dns', 'syn-scan'],
    );
    const offsets = specs.map((spec) => spec.sourceOffset);
    assert.equal(new Set(offsets).size, offsets.length, `overlapping sources ${offsets}`);
    assert.equal(new Set(combineScenarios(['mixed']).map((spec) => spec.sourceOffset)).size, 2);
  });

  it('a kind in the run twice is refused, naming the overlap (mixed includes short-flows)', () => {
    assert.throws(
      () => combineScenarios(['mixed', 'short-flows']),
      usage(/short-flows is in the run twice.*give it once/),
    );
    assert.throws(
      () => combineScenarios(['udp-dns', 'udp-dns:rate=10']),
      usage(/udp-dns is in the run twice/),
    );
  });

  it('an unknown scenario is refused with the list of scenarios', () => {
    assert.throws(
      () => parseScenario('tcp-flood'),
      usage(/"tcp-flood" is not a lab scenario: use one of short-flows, long-pool/),
    );
  });

  it('a rate outside 1 … MAX_LAB_RATE, or not a number, is refused with an example', () => {
    for (const rate of ['0', 'abc', '-5', `${MAX_LAB_RATE + 1}`, '100k', ''])
      assert.throws(
        () => parseScenario(`short-flows:rate=${rate}`),
        usage(
          new RegExp(`rate must be new flows per second from 1 to ${MAX_LAB_RATE} \\(e\\.g\\. rate=800/s\\)`),
        ),
        rate,
      );
    assert.equal(parseScenario(`short-flows:rate=${MAX_LAB_RATE}`)[0]!.ratePerSecond, MAX_LAB_RATE);
  });

  it('connections outside 1 … MAX_POOL_CONNECTIONS, or fractional, are refused', () => {
    for (const connections of ['0', '2.5', 'x', `${MAX_POOL_CONNECTIONS + 1}`])
      assert.throws(
        () => parseScenario(`long-pool:connections=${connections}`),
        usage(new RegExp(`connections must be a whole number from 1 to ${MAX_POOL_CONNECTIONS}`)),
        connections,
      );
  });

  it('an option that is neither rate nor connections is refused with an example', () => {
    assert.throws(
      () => parseScenario('mixed:seconds=5'),
      usage(/"seconds=5" is not rate=N\/s or connections=N \(e\.g\./),
    );
  });
});
