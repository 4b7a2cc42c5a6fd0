import type { CapacityPlan } from '../../src/core/plan/capacityPlan.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { assertMatchesSchema } from '../support/schemas.js';

/**
 * `plan` held against the kernel: a constant-rate DNS-like load (one query and its answer per new
 * socket) in a private namespace whose UDP timeout is short, so the table reaches its steady state
 * in seconds. Little's law says live entries = rate × (life + udp_timeout); the namespace's live
 * entries (a netlink dump: it skips and evicts expired ones), averaged over the steady part, must
 * agree within ±10 %. nf_conntrack_count also holds expired entries until the GC worker's next pass
 * (up to 60 s later), so it must stay within the plan's countUpToEntries instead.
 */
const UDP_TIMEOUT_SECONDS = 5;
const RATE_PER_SECOND = 200;
const LOAD_SECONDS = 3 * UDP_TIMEOUT_SECONDS + 1;
/** The table fills for one timeout; a second of margin for the first expiries to catch up. */
const STEADY_AFTER_SECONDS = UDP_TIMEOUT_SECONDS + 1;
const TOLERANCE = 0.1;

async function planJson(args: string[]): Promise<CapacityPlan> {
  const result = await runCli(['plan', '--json', ...args]);
  assert.equal(result.code, 0, result.stderr);
  const plan = JSON.parse(result.stdout) as CapacityPlan;
  assertMatchesSchema(plan, 'ctdoctor.plan/v1');
  return plan;
}

interface Samples {
  live: number[];
  count: number[];
}

/** Live entries (dump lines) and nf_conntrack_count every ~250 ms while `running`, from STEADY_AFTER_SECONDS on. */
async function steadySamples(lab: LabNamespace, startedMs: number, running: () => boolean): Promise<Samples> {
  const samples: Samples = { live: [], count: [] };
  while (running()) {
    const count = await lab.count();
    const dump = await lab.exec('conntrack', ['-L']);
    const live = dump.stdout.split('\n').filter((line) => line.startsWith('udp')).length;
    if (Date.now() - startedMs >= STEADY_AFTER_SECONDS * 1000 && running()) {
      samples.live.push(live);
      samples.count.push(count);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return samples;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('plan on the real kernel', () => {
  before(requireKernelLab);

  it('predicts the steady entries of a constant-rate udp-query load within ±10 %, stated and measured live', async (t) => {
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_udp_timeout', UDP_TIMEOUT_SECONDS);
      const startedMs = Date.now();
      const load = lab.startWorkload('udp-answered', {
        rate: RATE_PER_SECOND,
        seconds: LOAD_SECONDS,
        'wait-ms': 200,
      });
      let running = true;
      const done = load.finished.finally(() => {
        running = false;
      });
      const sampled = steadySamples(lab, startedMs, () => running);
      // --from-live once the table is steady: 4 s of NEW events, then the table's timers.
      await new Promise((resolve) => setTimeout(resolve, (STEADY_AFTER_SECONDS + 1) * 1000));
      const live = await planJson(['--netns', lab.name, '--from-live', '--seconds', '4']);
      const summary = (await done) as { sent: number; answered: number; seconds: number };
      const samples = await sampled;
      const measured = mean(samples.live);
      const achieved = summary.sent / summary.seconds;
      assert.ok(summary.answered >= summary.sent * 0.99, `answered ${summary.answered} of ${summary.sent}`);

      const stated = await planJson(['--netns', lab.name, '--rate', `${achieved}/s`, '--class', 'udp-query']);
      const row = stated.classes[0]!;
      assert.equal(row.finalTimeout.seconds, UDP_TIMEOUT_SECONDS, 'the timeout is read inside the namespace');
      t.diagnostic(
        `achieved ${achieved.toFixed(1)}/s; measured ${measured.toFixed(0)} live entries (${samples.live.length} samples; nf_conntrack_count mean ${mean(samples.count).toFixed(0)}, max ${Math.max(...samples.count)}); stated plan ${stated.predicted.entries.toFixed(0)}; live plan ${live.predicted.entries.toFixed(0)} (${live.load.ratePerSecond.toFixed(1)}/s)`,
      );
      for (const [name, plan] of [
        ['stated', stated],
        ['from-live', live],
      ] as const) {
        const error = Math.abs(plan.predicted.entries - measured) / measured;
        assert.ok(
          error <= TOLERANCE,
          `${name}: predicted ${plan.predicted.entries.toFixed(0)} vs measured ${measured.toFixed(0)} (${(error * 100).toFixed(1)} %)`,
        );
      }
      assert.ok(
        Math.max(...samples.count) <= stated.predicted.countUpToEntries,
        `nf_conntrack_count peaked at ${Math.max(...samples.count)}, above the plan's ${stated.predicted.countUpToEntries}`,
      );
      // A client port the load reuses within the timeout turns its entry into an ASSURED stream, so
      // a few streams are real: the live load is udp-query but for a small share.
      const total = live.classes.reduce((sum, item) => sum + item.ratePerSecond, 0);
      const query = live.classes.find((item) => item.class === 'udp-query')?.ratePerSecond ?? 0;
      assert.ok(query >= 0.95 * total, `udp-query ${query.toFixed(1)}/s of ${total.toFixed(1)}/s`);
    });
  });
});
