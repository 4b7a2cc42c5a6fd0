import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OTHER_NETNS, SeriesFolder } from '../../../src/daemon/exposedSeries.js';
import { serveRegistry } from '../../../src/daemon/metrics.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import type { NamespaceReading, ServeSample } from '../../../src/daemon/serveSample.js';
import { capturedNetlinkTotal, fixture } from '../../support/paths.js';

const BUILD = { version: 'test' };
const sysctl = (tree: string, key: string) =>
  Number(readFileSync(fixture(tree, 'sys/net/netfilter', key), 'utf8'));

function sampleOf(tree: string): Promise<ServeSample> {
  return new Sampler(samplerSourceOf({ procRoot: fixture(tree), sysRoot: fixture('sys-empty') })).take();
}

/** The scrape after each sample (as Prometheus scrapes a running daemon); the last one's text. */
async function exposition(samples: ServeSample[], maxNetns = 500): Promise<string> {
  const folder = new SeriesFolder(maxNetns);
  let latest = folder.fold(samples[0]!);
  const registry = serveRegistry(() => latest, BUILD);
  let text = await registry.metrics();
  for (const sample of samples.slice(1)) {
    latest = folder.fold(sample);
    text = await registry.metrics();
  }
  return text;
}

/** The value of the one sample line of `metric` with these labels, undefined when there is none. */
function sampleValue(text: string, metric: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/**
 * Namespaces made from the captured one: the same kernel reading under other inodes, `entries`
 * and counters scaled, as a host with many namespaces would show (no conntrack line is typed).
 */
function withNamespaces(
  sample: ServeSample,
  specs: { inode: number; entries: number; scale: number }[],
): ServeSample {
  const base = sample.namespaces[0]!;
  const scaled = (reading: NamespaceReading, scale: number) =>
    Object.fromEntries(Object.entries(reading.counters).map(([name, value]) => [name, value * scale]));
  return {
    ...sample,
    namespaces: specs.map(({ inode, entries, scale }) => ({
      ...base,
      inode,
      initial: inode === base.inode,
      name: undefined,
      entries,
      counters: scaled(base, scale),
    })),
  };
}

describe('serve /metrics from a captured kernel tree', () => {
  it("shows the tree's entries, limits and every counter, each as the kernel's own total", async () => {
    const text = await exposition([await sampleOf('proc-6.18-full')]);
    const own = 'netns="0",netns_name=""';
    assert.equal(
      sampleValue(text, 'ctdoctor_conntrack_entries', own),
      sysctl('proc-6.18-full', 'nf_conntrack_count'),
    );
    assert.equal(
      sampleValue(text, 'ctdoctor_conntrack_entries_limit', own),
      sysctl('proc-6.18-full', 'nf_conntrack_max'),
    );
    assert.equal(
      sampleValue(text, 'ctdoctor_conntrack_buckets', own),
      sysctl('proc-6.18-full', 'nf_conntrack_buckets'),
    );
    // Held against the conntrack -S captured with the tree: an independent reading of the same counters.
    for (const counter of [
      'drop',
      'early_drop',
      'insert_failed',
      'clash_resolve',
      'chaintoolong',
      'search_restart',
    ]) {
      assert.equal(
        sampleValue(text, `ctdoctor_conntrack_stat_${counter}_total`, own),
        capturedNetlinkTotal('proc-6.18-full', counter),
        counter,
      );
    }
    assert.match(text, /# TYPE ctdoctor_conntrack_stat_drop_total counter/);
    assert.equal(sampleValue(text, 'ctdoctor_collector_success', 'collector="stat counters"'), 1);
  });

  it('marks only the counters collector failed when the kernel has no stat file', async () => {
    const sample = await sampleOf('proc-no-procfs-stat');
    const text = await exposition([sample]);
    assert.equal(sampleValue(text, 'ctdoctor_collector_success', 'collector="stat counters"'), 0);
    assert.equal(sampleValue(text, 'ctdoctor_collector_success', 'collector="table size"'), 1);
    assert.equal(
      sampleValue(text, 'ctdoctor_conntrack_entries', 'netns="0",netns_name=""'),
      sysctl('proc-no-procfs-stat', 'nf_conntrack_count'),
    );
    assert.equal(
      sampleValue(text, 'ctdoctor_conntrack_stat_drop_total', 'netns="0",netns_name=""'),
      undefined,
    );
  });
});

describe('serve series: bounded, retired, monotonic', () => {
  it('keeps the host and the fullest namespaces beyond --max-netns, and sums the rest into "other"', async () => {
    const base = await sampleOf('proc-6.18-full');
    const specs = [0, 11, 12, 13, 14, 15].map((inode, i) => ({ inode, entries: i * 100, scale: 1 }));
    const text = await exposition([withNamespaces(base, specs)], 3);
    const entries = text.split('\n').filter((l) => l.startsWith('ctdoctor_conntrack_entries{'));
    // The host (inode 0, fewest entries) stays; then 15 and 14, the fullest; 11+12+13 are folded.
    assert.deepEqual(
      entries.map((l) => /netns="(\w+)"/.exec(l)![1]),
      ['0', '15', '14', OTHER_NETNS],
    );
    assert.equal(
      sampleValue(text, 'ctdoctor_conntrack_entries', `netns="${OTHER_NETNS}",netns_name=""`),
      100 + 200 + 300,
    );
    assert.equal(Number(/^ctdoctor_netns_folded (\d+)$/m.exec(text)![1]), 3);
  });

  it('retires the series of a namespace that vanished', async () => {
    const base = await sampleOf('proc-6.18-full');
    const both = withNamespaces(base, [
      { inode: 0, entries: 1, scale: 1 },
      { inode: 21, entries: 5, scale: 1 },
    ]);
    const one = withNamespaces(base, [{ inode: 0, entries: 1, scale: 1 }]);
    const text = await exposition([both, one]);
    assert.doesNotMatch(text, /netns="21"/);
    assert.equal(sampleValue(text, 'ctdoctor_conntrack_entries', 'netns="0",netns_name=""'), 1);
  });

  it('never lowers the "other" counters when namespaces leave the fold', async () => {
    const base = await sampleOf('proc-6.18-full');
    const drops = base.namespaces[0]!.counters.drop!;
    assert.ok(drops > 0, 'the fixture has drops to scale');
    // --max-netns 2: the host and the fullest other. 32 is folded, then grows into the top while 31
    // vanishes and 33 appears folded: a plain sum of the folded would fall from 3 to 1 at step 3.
    const steps = [
      [
        { inode: 0, entries: 9, scale: 1 },
        { inode: 31, entries: 2, scale: 1 },
        { inode: 32, entries: 1, scale: 1 },
      ],
      [
        { inode: 0, entries: 9, scale: 1 },
        { inode: 31, entries: 2, scale: 2 },
        { inode: 32, entries: 1, scale: 3 },
      ],
      [
        { inode: 0, entries: 9, scale: 1 },
        { inode: 32, entries: 50, scale: 4 },
        { inode: 33, entries: 1, scale: 1 },
      ],
      [
        { inode: 0, entries: 9, scale: 1 },
        { inode: 32, entries: 50, scale: 4 },
        { inode: 33, entries: 1, scale: 2 },
      ],
    ];
    const folder = new SeriesFolder(2);
    const other = steps.map((specs) => {
      const shown = folder.fold(withNamespaces(base, specs)).series.find((s) => s.netns === OTHER_NETNS);
      return (shown?.counters.drop ?? 0) / drops;
    });
    // What the folded grew by: 32's +2 at step 2; nothing at 3 (33 is new); 33's +1 at 4.
    assert.deepEqual(other, [0, 2, 2, 3]);
  });

  it('names the container and pod of a namespace in ctdoctor_netns_info, and nothing for one without', async () => {
    const base = await sampleOf('proc-6.18-full');
    const sample = withNamespaces(base, [
      { inode: 0, entries: 5, scale: 1 },
      { inode: 41, entries: 3, scale: 1 },
    ]);
    sample.namespaces[1]!.workload = {
      runtime: 'containerd',
      containerId: '0123456789ab',
      podUid: '11111111-2222-3333-4444-555555555555',
    };
    const info = (await exposition([sample])).split('\n').filter((l) => l.startsWith('ctdoctor_netns_info{'));
    assert.deepEqual(info, [
      'ctdoctor_netns_info{netns="41",netns_name="",runtime="containerd",container_id="0123456789ab",pod_uid="11111111-2222-3333-4444-555555555555"} 1',
    ]);
  });
});
