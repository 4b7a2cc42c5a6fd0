import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DriftWatcher } from '../../../src/daemon/driftWatcher.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
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

  it('takes baselines first, then finds a changed timeout of another namespace within one round-robin cycle', async () => {
    const watcher = new DriftWatcher(5, NO_EVIDENCE);
    // 2 namespaces never read per sample at most: the ten have their baselines after 5 samples.
    for (let s = 0; s < 5; s++) assert.deepEqual((await check(watcher, sampleAt(s * 5))).events, []);
    const changed = OTHERS[6]!;
    const path = join(dir, String(changed), 'sys/net/netfilter/nf_conntrack_udp_timeout');
    await writeFile(path, '45\n');
    let found: Awaited<ReturnType<typeof check>>['events'] = [];
    let samples = 0;
    // Ten namespaces at a 5 s interval aim at a 60 s cycle: one a sample, so ten samples at most.
    while (found.length === 0 && samples < 10)
      found = (await check(watcher, sampleAt((5 + samples++) * 5))).events;
    assert.deepEqual(
      found.map(({ netns, setting, from, to, who }) => ({ netns, setting, from, to, who })),
      [{ netns: changed, setting: 'nf_conntrack_udp_timeout', from: 30, to: 45, who: undefined }],
    );
    assert.ok(samples >= 1 && samples <= 10, String(samples));
  });

  it("reports the host's max every sample, named by the initial namespace", async () => {
    const watcher = new DriftWatcher(5, NO_EVIDENCE);
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
