import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGeneratorLine } from '../../../src/core/lab/generatorReport.js';
import { sampleCount } from '../../../src/core/lab/latencyHistogram.js';
import { capturedGeneratorLines } from '../../support/labFixtures.js';

describe("a generator's lines", () => {
  it('the captured short-flows run: ready, one tick a second, then done with counts that add up', () => {
    const lines = capturedGeneratorLines('short-flows');
    assert.ok(
      lines.every(({ message }) => message !== null),
      'every line it printed is a message',
    );
    const types = lines.map(({ message }) => message!.type);
    assert.equal(types[0], 'ready');
    assert.equal(types.at(-1), 'done');
    const ticks = lines.flatMap(({ message }) => (message?.type === 'tick' ? [message] : []));
    assert.ok(ticks.length >= 7, `${ticks.length} ticks in 8 s`);
    const done = lines.at(-1)!.message!;
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    assert.equal(done.kind, 'short-flows');
    assert.equal(done.ok + done.failed <= done.attempts, true);
    assert.equal(sampleCount(done.latency), done.ok, 'one set-up time per connect');
    const ticked = ticks.reduce((sum, tick) => sum + tick.attempts, 0);
    assert.ok(ticked <= done.attempts && ticked >= done.attempts * 0.8, `${ticked} of ${done.attempts}`);
  });

  it("the captured pool's done line says how many of its connections survived", () => {
    const done = capturedGeneratorLines('long-pool').at(-1)!.message;
    assert.equal(done?.type, 'done');
    assert.deepEqual(done?.type === 'done' ? done.pool : null, {
      wanted: 10,
      survived: 10,
      failedConnects: 0,
      lost: 0,
    });
  });

  it('anything else a child prints is not a message', () => {
    for (const line of [
      '',
      'Warning: something',
      '{not json',
      '{"type":"progress"}',
      '{"kind":"short-flows"}',
      '[1,2]',
    ])
      assert.equal(parseGeneratorLine(line), null, line);
    assert.deepEqual(parseGeneratorLine('{"type":"ready"}'), { type: 'ready' });
  });
});
