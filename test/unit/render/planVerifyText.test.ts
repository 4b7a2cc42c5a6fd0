import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifiedPlan } from '../../../src/core/lab/planVerification.js';
import { LAB_SHORT_TIMEOUTS } from '../../../src/core/lab/labTimeouts.js';
import { parseKernelRelease } from '../../../src/core/kernelInfo.js';
import { planCapacity } from '../../../src/core/plan/capacityPlan.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../../../src/core/plan/timeoutDefaults.js';
import { renderVerifiedPlan } from '../../../src/render/planVerifyText.js';
import { capturedReport } from '../../support/labFixtures.js';

/** The plan of the captured mixed report's short flows (500/s) at the lab's timeouts. */
const plan = planCapacity({
  load: [{ name: 'tcp-short', ratePerSecond: 500, lifeSeconds: 0, lifeSource: 'given' }],
  loadSource: { kind: 'stated' },
  timeouts: { ...KERNEL_DEFAULT_TIMEOUTS, ...LAB_SHORT_TIMEOUTS },
  kernel: parseKernelRelease('6.18.0'),
  entrySize: { bytes: 256, source: 'slabinfo' },
  headroom: 2,
  cpus: 2,
  current: null,
  netns: { inode: 4026531840, initial: true },
  candidates: [],
});
const report = capturedReport('report-mixed');
const onlyRun = (index: number) => ({ ...report, runs: [report.runs[index]!] });

describe('plan --verify: predicted beside measured', () => {
  it('the measured steady entries against the prediction, as a signed error', () => {
    const verified = verifiedPlan(plan, onlyRun(1), 1);
    const measured = report.runs[1]!.steady!.liveEntries!;
    assert.equal(plan.predicted.entries, 2500);
    assert.equal(verified.measured.entries, measured);
    assert.equal(verified.verify.error, (measured - 2500) / 2500);
    assert.deepEqual(verified.measured.pool, { wanted: 50, survived: 50 });
    assert.equal(verified.verify.lab.runs[0], report.runs[1], 'the lab report rides along whole');
    const text = renderVerifiedPlan(verified);
    const percent = `${verified.verify.error! >= 0 ? '+' : ''}${(verified.verify.error! * 100).toFixed(1)}%`;
    assert.ok(
      text.includes(
        `live entries  predicted 2,500  measured ${Math.round(measured).toLocaleString('en-US')}  (${percent})`,
      ),
      text,
    );
    assert.match(text, /^ {2}held: 0 drops, 100% of flows answered, pool 50\/50 alive$/m);
    assert.match(text, /verified in the lab \(10 s, max 262,144; timeouts tcp_timeout_time_wait 5 s/);
  });

  it('a run that dropped did not hold; a scaled load says by how much', () => {
    const text = renderVerifiedPlan(verifiedPlan(plan, onlyRun(0), 0.5));
    assert.match(text, /^ {2}did not hold: 117 drops, \d+(\.\d)?% of flows answered, pool 50\/50 alive$/m);
    assert.match(text, /max 3,000, rates × 0\.500;/);
  });

  it('no steady measurement: no error, said so', () => {
    const unsteady = { ...report, runs: [{ ...report.runs[1]!, steady: null }] };
    const verified = verifiedPlan(plan, unsteady, 1);
    assert.equal(verified.verify.error, null);
    assert.match(
      renderVerifiedPlan(verified),
      /measured – {2}\(not measured \(the run ended before steady state\)\)/,
    );
  });
});
