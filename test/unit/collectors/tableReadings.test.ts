import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { conntrackSample, enteredNamespaceSample } from '../../../src/collectors/conntrackSample.js';
import { conntrackSettings } from '../../../src/collectors/conntrackSettings.js';
import { statCounters } from '../../../src/collectors/statCounters.js';
import { tableSize } from '../../../src/collectors/tableSize.js';
import { parseStatFile } from '../../../src/core/statFile.js';
import { type NetnsFiles, netnsFiles } from '../../../src/host/netnsFiles.js';
import { capturedNetlinkTotal, fixture } from '../../support/paths.js';

/** A fixture tree read as ctdoctor reads --proc-root: its own namespace, no nsenter. */
function treeFiles(tree: string): NetnsFiles {
  return netnsFiles(
    { path: fixture(tree), inode: 4026531840, initial: true, isSelf: true },
    { procRoot: fixture(tree), sysRoot: fixture('sys-empty') },
  );
}

const text = (tree: string, path: string) => readFileSync(fixture(tree, path), 'utf8');
const number = (tree: string, key: string) => Number(text(tree, `sys/net/netfilter/${key}`));

describe('table size collector', () => {
  it('reads count, max and buckets of the tree', async () => {
    const collected = await tableSize(treeFiles('proc-6.18-full'));
    assert.ok(collected.ok);
    assert.deepEqual(collected.data, {
      count: number('proc-6.18-full', 'nf_conntrack_count'),
      max: number('proc-6.18-full', 'nf_conntrack_max'),
      buckets: number('proc-6.18-full', 'nf_conntrack_buckets'),
    });
    assert.equal(typeof collected.durationMs, 'number');
  });

  it('is absent, naming the missing file, when nf_conntrack is not loaded', async () => {
    const collected = await tableSize(treeFiles('proc-not-loaded'));
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'absent');
    assert.match(collected.message, /nf_conntrack is not loaded: .*nf_conntrack_max is absent/);
    assert.equal(typeof collected.durationMs, 'number');
  });
});

describe('stat counters collector', () => {
  it('reads the per-CPU counters of the stat file', async () => {
    const collected = await statCounters(treeFiles('proc-6.18-full'), {
      source: 'auto',
      netlinkAllowed: false,
    });
    assert.ok(collected.ok);
    assert.deepEqual(collected.data, {
      stats: parseStatFile(text('proc-6.18-full', 'net/stat/nf_conntrack')),
    });
  });

  it('is absent when --source procfs names a stat file the kernel does not have', async () => {
    const collected = await statCounters(treeFiles('proc-no-procfs-stat'), {
      source: 'procfs',
      netlinkAllowed: false,
    });
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'absent');
    assert.match(collected.message, /CONFIG_NF_CONNTRACK_PROCFS/);
  });

  it('says why there are no counters when neither the file nor netlink can give them', async () => {
    const collected = await statCounters(treeFiles('proc-no-procfs-stat'), {
      source: 'auto',
      netlinkAllowed: false,
    });
    assert.ok(collected.ok);
    assert.equal(collected.data.stats, undefined);
    assert.match(
      collected.data.statsUnavailable!,
      /nf_conntrack is absent and netlink cannot read a --proc-root tree/,
    );
  });
});

describe('conntrack sample collector', () => {
  it('is one point in time: size, limits and counters together', async () => {
    const before = Date.now();
    const collected = await conntrackSample(treeFiles('proc-6.18-full'), {
      source: 'auto',
      netlinkAllowed: false,
    });
    assert.ok(collected.ok);
    const { takenAtMs, stats, ...size } = collected.data;
    assert.deepEqual(size, {
      count: number('proc-6.18-full', 'nf_conntrack_count'),
      max: number('proc-6.18-full', 'nf_conntrack_max'),
      buckets: number('proc-6.18-full', 'nf_conntrack_buckets'),
    });
    assert.ok(takenAtMs >= before);
    assert.equal(stats?.source, 'procfs');
  });

  it('is absent when nf_conntrack is not loaded', async () => {
    const collected = await conntrackSample(treeFiles('proc-not-loaded'), {
      source: 'auto',
      netlinkAllowed: false,
    });
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'absent');
  });
});

describe('timeouts and limits collector', () => {
  it('reads every nf_conntrack_* sysctl, timeouts by short name', async () => {
    const collected = await conntrackSettings(treeFiles('proc-6.18-full'));
    assert.ok(collected.ok);
    assert.equal(
      collected.data.timeouts.tcp_timeout_established,
      number('proc-6.18-full', 'nf_conntrack_tcp_timeout_established'),
    );
    assert.equal(collected.data.max, number('proc-6.18-full', 'nf_conntrack_max'));
  });

  it('is absent when nf_conntrack is not loaded', async () => {
    const collected = await conntrackSettings(treeFiles('proc-not-loaded'));
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'absent');
  });
});

/**
 * Another namespace's files, as nsenter would show them: the tree's files, and `conntrack -S`/`-C`
 * answering with what was captured beside the tree. `ran` records every tool started.
 */
function enteredFiles(tree: string): NetnsFiles & { ran: string[] } {
  const own = treeFiles(tree);
  const ran: string[] = [];
  return {
    ...own,
    target: { ...own.target, inode: 4026532500, initial: false, isSelf: false },
    ran,
    run: async (command, args) => {
      ran.push([command, ...args].join(' '));
      const captured = args[0] === '-S' ? 'conntrack-S.txt' : 'conntrack-C.txt';
      return { exitCode: 0, stdout: text(tree, captured), stderr: '' };
    },
  };
}

describe('the sample of an entered namespace', () => {
  // The doctor passes its own namespace's settings, whose count is not this namespace's.
  const global = { count: 0, max: 1_000_000, buckets: 65_536 };

  it('comes from the stat file alone, with the global max and buckets', async () => {
    const files = enteredFiles('proc-6.18-full');
    const collected = await enteredNamespaceSample(files, global, true);
    assert.ok(collected.ok);
    const stats = parseStatFile(text('proc-6.18-full', 'net/stat/nf_conntrack'));
    assert.equal(collected.data.count, stats.entries);
    assert.equal(collected.data.max, global.max);
    assert.equal(collected.data.buckets, global.buckets);
    assert.deepEqual(collected.data.stats, stats);
    assert.deepEqual(files.ran, []);
  });

  it('comes from netlink when the kernel has no stat file', async () => {
    const files = enteredFiles('proc-no-procfs-stat');
    const collected = await enteredNamespaceSample(files, global, true);
    assert.ok(collected.ok);
    assert.equal(collected.data.stats?.source, 'netlink');
    assert.equal(collected.data.stats?.totals.drop, capturedNetlinkTotal('proc-no-procfs-stat', 'drop'));
    assert.equal(collected.data.max, number('proc-no-procfs-stat', 'nf_conntrack_max'));
    assert.deepEqual(files.ran, ['conntrack -S']);
  });
});
