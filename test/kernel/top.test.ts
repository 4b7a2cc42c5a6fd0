import type { TopInterval } from '../../src/core/events/churn.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { assertMatchesSchema } from '../support/schemas.js';

/** Three known sources, each sending to a new destination (so a new entry) at its own steady rate. */
const SOURCES = [
  { source: '127.0.0.2', ratePerSecond: 40 },
  { source: '127.0.0.3', ratePerSecond: 80 },
  { source: '127.0.0.4', ratePerSecond: 120 },
] as const;
const TOP_SECONDS = 6;
const TOLERANCE = 0.1;

/** Each source's mean rate over `intervals`, weighted by their lengths. */
function meanRate(intervals: readonly TopInterval[], source: string): number {
  let entries = 0;
  let seconds = 0;
  for (const interval of intervals) {
    entries +=
      (interval.topSources.find((row) => row.source === source)?.newPerSecond ?? 0) *
      interval.intervalSeconds;
    seconds += interval.intervalSeconds;
  }
  return entries / seconds;
}

describe('top on the real kernel', () => {
  before(requireKernelLab);

  it('names the sources that create entries, at their rates within ±10 %, and loses no events', async (t) => {
    await withLabNamespace(async (lab) => {
      const senders = SOURCES.map(({ source, ratePerSecond }, index) =>
        lab.startWorkload('udp-spread', {
          source,
          rate: ratePerSecond,
          batch: 4,
          seconds: TOP_SECONDS + 6,
          count: 60_000,
          offset: index * 60_000,
        }),
      );
      // Measure only once every sender runs at its rate.
      await lab.waitFor(async () => (await lab.count()) >= 200, 10_000, 'the senders to start');
      const result = await runCli([
        'top',
        '--json',
        '--netns',
        lab.name,
        '--seconds',
        String(TOP_SECONDS),
        '--interval',
        '1',
      ]);
      assert.equal(result.code, 0, result.stderr);
      const intervals = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as TopInterval);
      for (const interval of intervals) assertMatchesSchema(interval, 'ctdoctor.top/v1');
      assert.ok(intervals.length >= TOP_SECONDS - 1, result.stdout);
      // The first interval includes conntrack's start (subscribing to the event groups).
      const steady = intervals.slice(1);
      for (const { source, ratePerSecond } of SOURCES) {
        const measured = meanRate(steady, source);
        t.diagnostic(`${source}: ${measured.toFixed(1)}/s measured, ${ratePerSecond}/s sent`);
        assert.ok(
          Math.abs(measured - ratePerSecond) <= TOLERANCE * ratePerSecond,
          `${source}: ${measured.toFixed(1)}/s measured, ${ratePerSecond}/s sent`,
        );
      }
      for (const interval of steady) {
        assert.deepEqual(
          interval.topSources.slice(0, 3).map((row) => row.source),
          SOURCES.map((row) => row.source).reverse(),
          'ranked by rate',
        );
        assert.equal(interval.topSources.length, 3, 'no other source');
        assert.equal(interval.byProtocol[0]?.protocol, 'udp');
        assert.ok(interval.table !== null && interval.table.count > 0);
        assert.ok(interval.netGrowthPerSecond > 0 && interval.secondsUntilFull !== null);
      }
      const total = SOURCES.reduce((sum, row) => sum + row.ratePerSecond, 0);
      const measuredTotal =
        steady.reduce((sum, row) => sum + row.newPerSecond * row.intervalSeconds, 0) /
        steady.reduce((sum, row) => sum + row.intervalSeconds, 0);
      assert.ok(Math.abs(measuredTotal - total) <= TOLERANCE * total, `${measuredTotal}/s of ${total}/s`);
      assert.equal(intervals.at(-1)!.lostEventWarningsTotal, 0);
      for (const sender of senders) {
        const summary = await sender.finished;
        assert.equal(summary.otherErrors, 0, JSON.stringify(summary));
        assert.equal(summary.eperm, 0, JSON.stringify(summary));
      }
    });
  });
});
