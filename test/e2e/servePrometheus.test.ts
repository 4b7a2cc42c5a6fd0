import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturedNetlinkTotal, fixture } from '../support/paths.js';
import { startPrometheus, stopPrometheus } from '../support/prometheus.js';
import { startServe } from '../support/serve.js';

const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];

/** `promtool query instant` of `expr`: its output once it names a series, else after the deadline. */
async function queryUntilAnswered(server: string, expr: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = spawnSync('promtool', ['query', 'instant', server, expr], { encoding: 'utf8' });
    if (run.status === 0 && run.stdout.includes('=>')) return run.stdout;
    if (Date.now() > deadline) throw new Error(`no answer to ${expr}: ${run.stdout}${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('serve scraped by a real Prometheus', () => {
  it('Prometheus stores the series, typed as counters, and answers PromQL on them', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-prometheus-'));
    const serve = await startServe([...TREE, '--listen', '127.0.0.1:0', '--interval', '0.5']);
    const prometheus = await startPrometheus(
      dir,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: ctdoctor\n    static_configs: [{ targets: ['${serve.url.replace('http://', '')}'] }]\n`,
    );
    try {
      const drops = await queryUntilAnswered(prometheus.url, 'ctdoctor_conntrack_stat_drop_total');
      assert.match(drops, new RegExp(`netns="0".*=> ${capturedNetlinkTotal('proc-6.18-full', 'drop')} @`));
      const up = await queryUntilAnswered(prometheus.url, 'up{job="ctdoctor"}');
      assert.match(up, /=> 1 @/);
      // The metadata Prometheus took from the scrape: a counter (node_exporter's are gauges).
      const metadata = (await (
        await fetch(`${prometheus.url}/api/v1/metadata?metric=ctdoctor_conntrack_stat_drop_total`)
      ).json()) as {
        data: Record<string, { type: string }[]>;
      };
      assert.equal(metadata.data.ctdoctor_conntrack_stat_drop_total?.[0]?.type, 'counter');
    } finally {
      await stopPrometheus(prometheus);
      assert.equal(await serve.stop(), 0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
