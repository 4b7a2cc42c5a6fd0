import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { RULES_FILE } from '../support/deployQueries.js';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { startPrometheus, stopPrometheus } from '../support/prometheus.js';
import { startServe } from '../support/serve.js';
import { nearlyFill, whileDropping } from '../support/tableFullLab.js';

const LOSS = 'ConntrackPacketsDropped';

interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function query(prometheus: string, expr: string): Promise<number | undefined> {
  const body = (await (
    await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`)
  ).json()) as { data?: { result: { value: [number, string] }[] } };
  const value = body.data?.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

async function alerts(prometheus: string): Promise<PrometheusAlert[]> {
  const body = (await (await fetch(`${prometheus}/api/v1/alerts`)).json()) as {
    data?: { alerts: PrometheusAlert[] };
  };
  return body.data?.alerts ?? [];
}

describe("deploy/'s rules in a real Prometheus scraping serve on the real kernel", () => {
  before(requireKernelLab);

  it('the drop counters rise and the loss alert fires for the dropping namespace, not for a healthy one', {
    timeout: 150_000,
  }, async () => {
    await withLabNamespace((full) =>
      withLabNamespace(async (healthy) => {
        await nearlyFill(full);
        await healthy.runWorkload('udp-spread', { count: 20, port: 9000 });
        const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-prometheus-alerts-'));
        const serve = await startServe(['--listen', '127.0.0.1:0', '--interval', '1']);
        const prometheus = await startPrometheus(
          dir,
          [
            'global: { scrape_interval: 1s, evaluation_interval: 1s }',
            `rule_files: [${JSON.stringify(RULES_FILE)}]`,
            'scrape_configs:',
            '  - job_name: ctdoctor',
            `    static_configs: [{ targets: [${JSON.stringify(serve.url.replace('http://', ''))}] }]`,
            '',
          ].join('\n'),
        );
        const drops = (inode: number) =>
          query(prometheus.url, `ctdoctor_conntrack_stat_drop_total{netns="${inode}"}`);
        const lossAlert = async (inode: number) =>
          (await alerts(prometheus.url).catch(() => [])).find(
            (alert) => alert.labels.alertname === LOSS && alert.labels.netns === String(inode),
          );
        try {
          await eventually(
            'Prometheus to scrape both namespaces',
            async () => {
              const [a, b] = await Promise.all([drops(full.inode), drops(healthy.inode)]).catch(() => []);
              return a !== undefined && b !== undefined;
            },
            60_000,
          );
          const before = (await drops(full.inode))!;
          await whileDropping(full, 60, async () => {
            await eventually(
              'the drop counter to rise in Prometheus',
              async () => {
                const now = await drops(full.inode);
                return now !== undefined && now > before;
              },
              30_000,
            );
            await eventually(
              `${LOSS} firing in Prometheus for ${full.name}`,
              async () => (await lossAlert(full.inode))?.state === 'firing',
              30_000,
            );
          });
          const firing = (await lossAlert(full.inode))!;
          assert.equal(firing.labels.severity, 'critical');
          assert.equal(firing.labels.netns_name, full.name);
          assert.equal(
            await lossAlert(healthy.inode),
            undefined,
            `${LOSS} stays inactive for ${healthy.name}`,
          );
          assert.equal(await drops(healthy.inode), 0);
        } finally {
          await stopPrometheus(prometheus);
          await serve.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
    );
  });
});
