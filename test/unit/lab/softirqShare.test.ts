import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCpuTicks, softirqPercent } from '../../../src/core/lab/softirqShare.js';
import { capturedProcStat } from '../../support/labFixtures.js';

describe('softirq share from /proc/stat', () => {
  it('the captured run: softirq ticks over all ticks (guest ticks are in user already)', () => {
    const before = parseCpuTicks(capturedProcStat('before'))!;
    const after = parseCpuTicks(capturedProcStat('after'))!;
    // The cpu line's first 8 fields by hand: user nice system idle iowait irq softirq steal.
    const sum = (text: string) =>
      text
        .split('\n')[0]!
        .split(/\s+/)
        .slice(1, 9)
        .reduce((total, field) => total + Number(field), 0);
    assert.equal(before.total, sum(capturedProcStat('before')));
    assert.equal(after.softirq, Number(capturedProcStat('after').split('\n')[0]!.split(/\s+/)[7]));
    const share = softirqPercent(before, after)!;
    assert.equal(share, ((after.softirq - before.softirq) / (after.total - before.total)) * 100);
    assert.ok(share > 0 && share < 100, `${share}`);
  });

  it('guest and guest_nice are not counted twice', () => {
    assert.deepEqual(parseCpuTicks('cpu  10 0 10 70 0 0 10 0 50 50\n'), { total: 100, softirq: 10 });
  });

  it('no cpu line, a short or damaged one, or no time between readings: null', () => {
    assert.equal(parseCpuTicks('cpu0 1 2 3 4 5 6 7\n'), null);
    assert.equal(parseCpuTicks('cpu  1 2 3\n'), null);
    assert.equal(parseCpuTicks('cpu  1 2 x 4 5 6 7 8\n'), null);
    const ticks = parseCpuTicks('cpu  10 0 10 70 0 0 10 0\n');
    assert.equal(softirqPercent(ticks, ticks), null);
    assert.equal(softirqPercent(null, ticks), null);
  });
});
