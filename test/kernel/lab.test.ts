import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import type { LabReport } from '../../src/core/lab/labResult.js';
import type { VerifiedPlan } from '../../src/core/lab/planVerification.js';
import { runCli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { CLI } from '../support/paths.js';

/**
 * `ctdoctor lab` and `plan --verify` on the real kernel: the playbook's mixed load at a max below
 * its steady state and at the max `plan` recommends, Little's law held against measured entries,
 * NOTRACK's share, and the machine-wide settings put back after a Ctrl-C and a SIGTERM.
 */
const MAX_PATH = '/proc/sys/net/netfilter/nf_conntrack_max';
const BUCKETS_PATH = '/proc/sys/net/netfilter/nf_conntrack_buckets';
const readNumber = (path: string) => Number(readFileSync(path, 'utf8').trim());
const TOLERANCE = 0.1;

async function labJson(args: string[]): Promise<LabReport> {
  const result = await runCli(['lab', '--json', '--yes', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as LabReport;
}

async function verifiedPlan(args: string[]): Promise<VerifiedPlan> {
  const result = await runCli(['plan', '--json', '--yes', '--verify', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as VerifiedPlan;
}

function labNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith('ctdoctor-lab-'));
}

describe('lab on the real kernel', () => {
  before(requireKernelLab);

  // The rule for every lab test, interrupted or not: the globals as before, no namespace left.
  let globalsBefore: [number, number];
  beforeEach(() => {
    globalsBefore = [readNumber(MAX_PATH), readNumber(BUCKETS_PATH)];
  });
  afterEach(() => {
    assert.deepEqual(
      [readNumber(MAX_PATH), readNumber(BUCKETS_PATH)],
      globalsBefore,
      'max and buckets restored',
    );
    assert.deepEqual(labNamespaces(), [], 'no lab namespace left');
  });

  it('mixed: below its steady state it drops and loses pool connections; at the max plan recommends, none', async (t) => {
    const below = await labJson([
      '--scenario',
      'mixed:rate=500/s,connections=40',
      '--duration',
      '14s',
      '--compare',
      'max=1500',
    ]);
    const starved = below.runs[0]!;
    t.diagnostic(
      `max 1500: ${starved.drops.total} drops, pool ${starved.longPool?.survived}/${starved.longPool?.wanted}, ${starved.failedConnects} failed connects, peak ${starved.peakEntries}`,
    );
    assert.ok(starved.drops.total > 0, 'a max below the steady state drops');
    assert.ok(
      starved.longPool!.survived < starved.longPool!.wanted,
      'pool connections opened into a full table fail',
    );
    assert.ok(starved.failedConnects > 0);

    const plan = await verifiedPlan([
      '--class',
      'tcp-short:500/s',
      '--class',
      'tcp-long:0.25/s:life=40s',
      '--verify-duration',
      '20',
    ]);
    t.diagnostic(
      `plan max ${plan.recommended.max}: predicted ${plan.predicted.entries.toFixed(0)}, measured ${plan.measured.entries?.toFixed(0)}, drops ${plan.measured.drops}, pool ${plan.measured.pool?.survived}/${plan.measured.pool?.wanted}`,
    );
    assert.equal(plan.verify.max, plan.recommended.max, 'the lab ran at the recommended max');
    assert.equal(plan.measured.drops, 0);
    assert.ok(plan.measured.pool && plan.measured.pool.wanted > 0);
    assert.equal(plan.measured.pool.survived, plan.measured.pool.wanted, 'every pool connection survives');
  });

  for (const [name, load] of [
    ['short-flows', ['--class', 'tcp-short:400/s']],
    ['udp-dns', ['--class', 'udp-query:300/s']],
  ] as const) {
    it(`plan predicts the steady entries of constant-rate ${name} within ±10 %`, async (t) => {
      const plan = await verifiedPlan([...load, '--verify-duration', '16']);
      const measured = plan.measured.entries;
      assert.ok(measured !== null && measured > 0, 'the run reached its steady state');
      const error = Math.abs(measured - plan.predicted.entries) / plan.predicted.entries;
      t.diagnostic(
        `${name}: predicted ${plan.predicted.entries.toFixed(0)}, measured ${measured.toFixed(0)} (${(plan.verify.error! * 100).toFixed(1)} %), count peak ${plan.measured.countPeak} ≤ ${plan.predicted.countUpToEntries}`,
      );
      assert.ok(error <= TOLERANCE, `predicted ${plan.predicted.entries} vs measured ${measured}`);
      assert.ok(plan.measured.countPeak <= plan.predicted.countUpToEntries);
      assert.equal(plan.measured.drops, 0);
    });
  }

  it('NOTRACK on the short-flow port takes that traffic’s share out of the table', async (t) => {
    const page = join(mkdtempSync(join(tmpdir(), 'ctdoctor-lab-')), 'report.html');
    const report = await labJson([
      '--report',
      page,
      '--scenario',
      'short-flows:rate=400/s',
      '--scenario',
      'udp-dns:rate=400/s',
      '--duration',
      '12s',
      '--compare',
      'as-is',
      '--compare',
      'notrack=8080/tcp',
    ]);
    const [tracked, untracked] = report.runs as [LabReport['runs'][0], LabReport['runs'][0]];
    // Both hold for 5 s at 400/s: the short flows are half of the steady entries.
    const share = 0.5;
    const expected = tracked.steady!.liveEntries! * (1 - share);
    const measured = untracked.steady!.liveEntries!;
    t.diagnostic(
      `as is ${tracked.steady?.liveEntries?.toFixed(0)} live (peak ${tracked.peakEntries}); notrack ${measured.toFixed(0)} live (peak ${untracked.peakEntries}); expected ${expected.toFixed(0)}`,
    );
    assert.ok(Math.abs(measured - expected) / expected <= TOLERANCE, `${measured} vs ${expected}`);
    assert.ok(untracked.peakEntries < tracked.peakEntries * (1 - share / 2), 'the peak falls too');
    assert.equal(untracked.successRatio, 1, 'untracked connections still work');
    const html = readFileSync(page, 'utf8');
    for (const label of ['as is', 'notrack=8080/tcp'])
      assert.ok(html.includes(label), `the report names ${label}`);
  });

  it('nat-service: once one backend dies half the new flows go unanswered; a scan and a flood fill the table as asked', async (t) => {
    const report = await labJson([
      '--scenario',
      'nat-service:rate=200/s',
      '--scenario',
      'syn-scan:rate=300/s',
      '--scenario',
      'udp-flood:rate=500/s',
      '--duration',
      '12s',
    ]);
    const run = report.runs[0]!;
    const nat = run.generators.find((generator) => generator.kind === 'nat-service')!;
    t.diagnostic(
      `nat answered ${nat.ok}/${nat.attempts}; steady live ${run.steady?.liveEntries?.toFixed(0)}; peak ${run.peakEntries}`,
    );
    // Round-robin over two backends, one dead for the second half: about a quarter unanswered.
    const answered = nat.ok / nat.attempts;
    assert.ok(answered > 0.6 && answered < 0.9, `answered ${answered}`);
    for (const generator of run.generators)
      assert.ok(generator.achievedRatePerSecond >= 0.9 * generator.askedRatePerSecond, generator.kind);
    // Every flow is held 5 s (syn_sent, udp): 1,000/s × 5 s live, unanswered flows included.
    const live = run.steady!.liveEntries!;
    assert.ok(Math.abs(live - 5000) / 5000 <= TOLERANCE, `${live} live entries`);
  });

  it('router topology: the router table holds the forwarded and DNATed load by Little’s law', async (t) => {
    const report = await labJson([
      '--topology',
      'router',
      '--scenario',
      'short-flows:rate=200/s',
      '--scenario',
      'nat-service:rate=200/s',
      '--scenario',
      'syn-scan:rate=200/s',
      '--scenario',
      'udp-flood:rate=200/s',
      '--duration',
      '12s',
    ]);
    assert.equal(report.topology, 'router');
    const run = report.runs[0]!;
    const nat = run.generators.find((generator) => generator.kind === 'nat-service')!;
    const short = run.generators.find((generator) => generator.kind === 'short-flows')!;
    t.diagnostic(
      `steady live ${run.steady?.liveEntries?.toFixed(0)}; peak ${run.peakEntries}; nat answered ${nat.ok}/${nat.attempts}; short ${short.ok}/${short.attempts}`,
    );
    for (const generator of run.generators)
      assert.ok(generator.achievedRatePerSecond >= 0.9 * generator.askedRatePerSecond, generator.kind);
    assert.equal(short.failed, 0, 'every forwarded connection was answered');
    // The router's DNAT spreads over both backends; one dies half-way.
    const answered = nat.ok / nat.attempts;
    assert.ok(answered > 0.6 && answered < 0.9, `answered ${answered}`);
    // 800 flows/s, each held 5 s in the router's table (TIME_WAIT, UDP, SYN_SENT): 4,000.
    const live = run.steady!.liveEntries!;
    assert.ok(Math.abs(live - 4000) / 4000 <= TOLERANCE, `${live} live entries`);
  });

  it('helpers=on gives every service flow a kernel helper, the NATed ones too; helpers=off none; nothing machine-wide', async (t) => {
    const report = await labJson([
      '--scenario',
      'short-flows:rate=200/s',
      '--scenario',
      'nat-service:rate=200/s',
      '--duration',
      '8s',
      '--compare',
      'helpers=off',
      '--compare',
      'helpers=on',
    ]);
    const [off, on] = report.runs as [LabReport['runs'][0], LabReport['runs'][0]];
    const live = on.steady!.liveEntries!;
    t.diagnostic(
      `helpers=on: ${on.helpers.entriesPeak} entries with a helper at peak, ${live.toFixed(0)} live, ${on.helpers.expectationsCreated} expectations; softirq off ${off.softirqPercent?.toFixed(2)} % on ${on.softirqPercent?.toFixed(2)} %; p99 set-up off ${off.setupMs?.p99.toFixed(2)} ms on ${on.setupMs?.p99.toFixed(2)} ms`,
    );
    assert.deepEqual(report.globalChanges, [], 'helpers are assigned in the lab namespace only');
    assert.deepEqual(
      on.tuning.helpers.map(({ name, port, protocol }) => `${name}:${port}/${protocol}`),
      ['ftp:8080/tcp', 'tftp:53/udp'],
    );
    assert.equal(off.helpers.entriesPeak, 0);
    // Assigned before DNAT rewrites 53 to the backends' port: every entry of both generators has one.
    assert.ok(on.helpers.entriesPeak >= 0.9 * live, `${on.helpers.entriesPeak} of ${live} live`);
    assert.equal(on.drops.total, 0);
    const shortFlows = on.generators.find((generator) => generator.kind === 'short-flows')!;
    assert.equal(shortFlows.failed, 0, 'the ftp helper lets TCP that is not FTP through');
  });

  for (const [signal, expectedCode, group, topology] of [
    ['SIGINT', 130, true, 'single'],
    ['SIGTERM', 143, false, 'router'],
  ] as const) {
    it(`${signal} mid-run (${topology} topology): every machine-wide value is back and no namespace is left`, async (t) => {
      const originalMax = readNumber(MAX_PATH);
      const originalBuckets = readNumber(BUCKETS_PATH);
      const buckets = originalBuckets === 16384 ? 32768 : 16384;
      // Detached: its own process group, so a group signal is what a Ctrl-C at a terminal sends.
      const child = spawn(
        process.execPath,
        [
          CLI,
          'lab',
          '--yes',
          '--json',
          '--topology',
          topology,
          '--scenario',
          'short-flows:rate=300/s',
          '--duration',
          '40s',
          '--compare',
          `max=5000,buckets=${buckets}`,
        ],
        { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      try {
        // Both globals changed: the max at the start, the hash once the table is steady (~6 s).
        await eventually(
          'the lab to set max and buckets',
          () => readNumber(MAX_PATH) === 5000 && readNumber(BUCKETS_PATH) === buckets,
        );
        if (group) process.kill(-child.pid!, signal);
        else child.kill(signal);
        const code = await exited;
        t.diagnostic(`exit ${code}; stderr: ${stderr.trim().split('\n').pop()}`);
        assert.equal(code, expectedCode, stderr);
        const report = JSON.parse(stdout) as LabReport;
        assert.equal(report.interrupted, true);
        assert.ok(report.globalChanges.every((change) => change.restored));
      } finally {
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
      assert.equal(readNumber(MAX_PATH), originalMax);
      assert.equal(readNumber(BUCKETS_PATH), originalBuckets);
      assert.deepEqual(labNamespaces(), []);
    });
  }
});
