import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { promtoolProblems, scrape, startNodeExporter, startServe } from '../support/serve.js';

/** ctdoctor's counter ↔ node_exporter's gauge, where both exist (docs/metrics.md). */
const SHARED_COUNTERS = [
  'found',
  'invalid',
  'insert',
  'insert_failed',
  'drop',
  'early_drop',
  'search_restart',
];

describe('serve on the real kernel', () => {
  before(requireKernelLab);

  it("labels two lab namespaces with their real counts, and the host's values equal node_exporter's", async () => {
    await withLabNamespace((first) =>
      withLabNamespace(async (second) => {
        await first.runWorkload('udp-spread', { count: 300, port: 9000 });
        await second.runWorkload('udp-spread', { count: 120, port: 9001 });
        const serve = await startServe(['--listen', '127.0.0.1:0', '--interval', '1']);
        const exporter = await startNodeExporter();
        try {
          for (const lab of [first, second]) {
            const series = `ctdoctor_conntrack_entries{netns="${lab.inode}",netns_name="${lab.name}"}`;
            await eventually(
              `${lab.name}'s entries`,
              async () => (await scrape(serve.url)).get(series) === (await lab.count()),
            );
          }
          const ours = await scrape(serve.url);
          assert.equal(
            ours.get(`ctdoctor_conntrack_entries{netns="${first.inode}",netns_name="${first.name}"}`),
            300,
          );
          assert.equal(
            ours.get(`ctdoctor_conntrack_entries{netns="${second.inode}",netns_name="${second.name}"}`),
            120,
          );
          assert.equal(ours.get('ctdoctor_collector_success{collector="other namespaces"}'), 1);
          const hostInode = ownNetnsInode();
          const host = (metric: string) => `${metric}{netns="${hostInode}",netns_name=""}`;
          // The two read a moment apart: the host's own traffic may move a counter between them; retry.
          await eventually('the host values of both exporters to agree', async () => {
            const [mine, theirs] = await Promise.all([scrape(serve.url), scrape(exporter.url)]);
            const pairs: [number | undefined, number | undefined][] = [
              [mine.get(host('ctdoctor_conntrack_entries')), theirs.get('node_nf_conntrack_entries')],
              [
                mine.get(host('ctdoctor_conntrack_entries_limit')),
                theirs.get('node_nf_conntrack_entries_limit'),
              ],
              ...SHARED_COUNTERS.map((c): [number | undefined, number | undefined] => [
                mine.get(host(`ctdoctor_conntrack_stat_${c}_total`)),
                theirs.get(`node_nf_conntrack_stat_${c}`),
              ]),
            ];
            return pairs.every(([a, b]) => a !== undefined && a === b);
          });
          assert.equal(promtoolProblems(await (await fetch(`${serve.url}/metrics`)).text()), '');
        } finally {
          exporter.child.kill('SIGTERM');
          assert.equal(await serve.stop(), 0);
        }
      }),
    );
  });
});

/** The test's own namespace, which serve (started by it) reports as the host's: "net:[INODE]". */
function ownNetnsInode(): string {
  return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1]!;
}
