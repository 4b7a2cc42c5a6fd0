import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DriftWatcher } from '../../../src/daemon/driftWatcher.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import { TimeoutReadSchedule } from '../../../src/daemon/timeoutReadSchedule.js';
import type { ServeSample } from '../../../src/daemon/serveSample.js';
import { type NetnsFiles, netnsFiles } from '../../../src/host/netnsFiles.js';
import { fixture } from '../../support/paths.js';

const TREE = 'proc-6.18-full';
const HOST = 1;
/** Ten namespaces beside the host's, each a copy of the captured tree's sysctls. */
const OTHERS = Array.from({ length: 10 }, (_, i) => 100 + i);
const NO_EVIDENCE = { journal: async () => [], processes: async () => [] };

describe('drift watcher', () => {
  let dir: string;
  let base: ServeSample;
  const files = new Map<number, NetnsFiles>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctdoctor-drift-unit-'));
    base = await new Sampler(
      samplerSourceOf({ procRoot: fixture(TREE), sysRoot: fixture('sys-empty') }),
    ).take();
    for (const inode of [HOST, ...OTHERS]) {
      const procRoot = join(dir, String(inode));
      await cp(fixture(TREE, 'sys'), join(procRoot, 'sys'), { recursive: true });
      const target = { path: procRoot, inode, initial: inode === HOST, isSelf: true };
      files.set(inode, netnsFiles(target, { procRoot, sysRoot: fixture('sys-empty') }));
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A sample of the host and the ten, `atSecond` seconds in, with the host's max as given. */
  const sampleAt = (atSecond: number, max = base.namespaces[0]!.max): ServeSample => ({
    ...base,
    takenAtMs: base.takenAtMs + atSecond * 1000,
    namespaces: [HOST, ...OTHERS].map((inode) => ({
      ...base.namespaces[0]!,
      inode,
      initial: inode === HOST,
      max,
    })),
  });
  const check = (watcher: DriftWatcher, sample: ServeSample) =>
    watcher.check(
      sample,
      files.get(HOST)!,
      OTHERS.map((inode) => files.get(inode)!),
    );

  const timeoutPath = (inode: number) =>
    join(dir, String(inode), 'sys/net/netfilter/nf_conntrack_udp_timeout');
  /** Timeouts read at every sample: only the round-robin spreads the reads. */
  const everySample = () => new TimeoutReadSchedule(5, 5);

  it('takes baselines first, then finds a changed timeout of another namespace within one round-robin cycle', async () => {
    const watcher = new DriftWatcher(everySample(), NO_EVIDENCE);
    // 6 namespaces never read per reading at most: the ten have their baselines after 2 samples.
    for (let s = 0; s < 2; s++) assert.deepEqual((await check(watcher, sampleAt(s * 5))).events, []);
    const changed = OTHERS[6]!;
    await writeFile(timeoutPath(changed), '45\n');
    let found: Awaited<ReturnType<typeof check>>['events'] = [];
    let samples = 0;
    // Six of the ten per reading: the changed one is read again within two samples.
    while (found.length === 0 && samples < 2)
      found = (await check(watcher, sampleAt((2 + samples++) * 5))).events;
    assert.deepEqual(
      found.map(({ netns, setting, from, to, who }) => ({ netns, setting, from, to, who })),
      [{ netns: changed, setting: 'nf_conntrack_udp_timeout', from: 30, to: 45, who: undefined }],
    );
  });

  it('reads the timeouts once a minute at 5 s: a change is seen at the next reading, its writer looked for since the last', async () => {
    const tuner = { pid: 4242, comm: 'tuned', startedAtMs: base.takenAtMs + 30_000 };
    const watcher = new DriftWatcher(new TimeoutReadSchedule(5), {
      journal: async () => [],
      processes: async () => [tuner],
    });
    const max = base.namespaces[0]!.max;
    assert.deepEqual((await check(watcher, sampleAt(0))).events, []);
    // The tuner writes at second 30; the samples up to second 55 do not read the timeouts, but max
    // and buckets still every sample.
    await writeFile(timeoutPath(HOST), '77\n');
    for (let s = 1; s < 12; s++) {
      const { events } = await check(watcher, sampleAt(s * 5, s === 11 ? max * 2 : max));
      assert.deepEqual(
        events.map((event) => event.setting),
        s === 11 ? ['nf_conntrack_max'] : [],
        `sample ${s}`,
      );
    }
    const { events } = await check(watcher, sampleAt(60, max * 2));
    assert.deepEqual(
      events.map(({ netns, setting, from, to, atMs, who }) => ({ netns, setting, from, to, atMs, who })),
      [
        {
          netns: HOST,
          setting: 'nf_conntrack_udp_timeout',
          from: 30,
          to: 77,
          // Seen at the sample that read it, not when it was written.
          atMs: base.takenAtMs + 60_000,
          // Started after the previous reading of the timeouts (second 0), though not of max (second 55).
          who: 'tuned (pid 4242, started 30 s before)',
        },
      ],
    );
  });

  it("reports the host's max every sample, named by the initial namespace", async () => {
    const watcher = new DriftWatcher(everySample(), NO_EVIDENCE);
    const max = base.namespaces[0]!.max;
    await check(watcher, sampleAt(0));
    const { events, outcome } = await check(watcher, sampleAt(5, max * 2));
    assert.deepEqual(
      events.map(({ netns, setting, from, to }) => ({ netns, setting, from, to })),
      [{ netns: HOST, setting: 'nf_conntrack_max', from: max, to: max * 2 }],
    );
    assert.equal(outcome.ok, true);
  });
});

describe('when the drift watcher reads the timeouts', () => {
  const readings = (schedule: TimeoutReadSchedule, samples: number) =>
    Array.from({ length: samples }, (_, i) => i).filter(() => schedule.next());

  it('reads at the first sample, then one sample in each minute by default', () => {
    assert.deepEqual(readings(new TimeoutReadSchedule(5), 30), [0, 12, 24]);
    // 60 s is not a whole number of 7 s samples: the next one after it (63 s).
    assert.equal(new TimeoutReadSchedule(7).everySamples, 9);
  });

  it('reads every sample when samples are as far apart as the timeouts interval, or further', () => {
    assert.deepEqual(readings(new TimeoutReadSchedule(60), 3), [0, 1, 2]);
    assert.deepEqual(readings(new TimeoutReadSchedule(120), 3), [0, 1, 2]);
    assert.deepEqual(readings(new TimeoutReadSchedule(0.5, 1), 5), [0, 2, 4]);
  });
});
