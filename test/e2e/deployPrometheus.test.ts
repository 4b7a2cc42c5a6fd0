import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { dashboardQueries, RULES_FILE } from '../support/deployQueries.js';
import { eventually } from '../support/eventually.js';
import { fleetDocQueries } from '../support/fleetDoc.js';
import { fixture, REPO_ROOT } from '../support/paths.js';
import { startPrometheus, stopPrometheus } from '../support/prometheus.js';
import { startServe } from '../support/serve.js';

const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];
const SCRAPE_FILE = join(REPO_ROOT, 'deploy', 'prometheus', 'scrape.yml');

interface ScrapeConfig {
  job_name: string;
  kubernetes_sd_configs?: unknown;
  static_configs?: { targets: string[] }[];
}

/**
 * deploy/prometheus/scrape.yml aimed at `target`, scraping every second. Debian builds Prometheus
 * without Kubernetes service discovery (promtool rejects `kubernetes_sd_configs` as an unknown
 * field), so that job gets `target` as a static one: its relabeling is still loaded, and drops it
 * (no pod labels), as it would any pod that is not ctdoctor's.
 */
function shippedConfigFor(target: string): string {
  const config = parse(readFileSync(SCRAPE_FILE, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.global.scrape_interval = '1s';
  config.global.evaluation_interval = '1s';
  assert.deepEqual(config.rule_files, ['ctdoctor.rules.yml']);
  config.rule_files = [RULES_FILE];
  for (const job of config.scrape_configs) {
    delete job.kubernetes_sd_configs;
    job.static_configs = [{ targets: [target] }];
  }
  return stringify(config);
}

/** A dashboard query as Grafana sends it: its variables at "all", its ranges at a minute / an hour. */
function asGrafanaSends(expr: string): string {
  return expr
    .replace(/label_values\((.*), (\w+)\)$/, 'group by ($2) ($1)')
    .replaceAll('$instance', '.*')
    .replaceAll('$netns', '.*')
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h');
}

async function api<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** api(), or undefined while Prometheus is still starting (nothing listens yet). */
function apiWhenUp<T>(url: string): Promise<T | undefined> {
  return api<T>(url).catch(() => undefined);
}

describe('deploy/prometheus and deploy/grafana on a real Prometheus scraping a real serve', () => {
  it('the scrape config and rules load, instance is the host name, every dashboard and guide query runs', {
    timeout: 90_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-deploy-prometheus-'));
    const serve = await startServe([...TREE, '--listen', '127.0.0.1:0', '--interval', '0.5']);
    const config = shippedConfigFor(serve.url.replace('http://', ''));
    writeFileSync(join(dir, 'check.yml'), config);
    const check = spawnSync('promtool', ['check', 'config', join(dir, 'check.yml')], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    const prometheus = await startPrometheus(dir, config);
    try {
      // The static job's relabeling makes instance the host without the port, as Kubernetes' node name.
      let targets: { labels: Record<string, string>; health: string }[] = [];
      await eventually(
        'the static job up',
        async () => {
          targets =
            (await apiWhenUp<{ data: { activeTargets: typeof targets } }>(`${prometheus.url}/api/v1/targets`))
              ?.data.activeTargets ?? [];
          return targets.some((t) => t.labels.job === 'ctdoctor-hosts' && t.health === 'up');
        },
        30_000,
      );
      assert.deepEqual(
        targets.map((t) => [t.labels.job, t.labels.instance]),
        [['ctdoctor-hosts', '127.0.0.1']],
      );

      type Rules = { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
      let rules: Rules['data']['groups'][number]['rules'] = [];
      await eventually('every rule evaluated', async () => {
        rules = (await api<Rules>(`${prometheus.url}/api/v1/rules`)).data.groups.flatMap((g) => g.rules);
        return rules.length > 0 && rules.every((r) => r.health !== 'unknown');
      });
      assert.deepEqual(
        rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`),
        [],
      );

      // The data behind the variables: $instance lists the scraped host.
      await eventually('a scrape stored', async () => {
        const answer = await api<{ data: { result: unknown[] } }>(
          `${prometheus.url}/api/v1/query?query=${encodeURIComponent('ctdoctor_build_info')}`,
        );
        return answer.data.result.length > 0;
      });
      const guide = fleetDocQueries().map((expr) => ({ where: 'docs/fleet.md', expr }));
      assert.ok(guide.length >= 3, "the guide's queries");
      for (const { where, expr } of [...dashboardQueries(), ...guide]) {
        const sent = asGrafanaSends(expr);
        const answer = await api<{ status: string; error?: string; data?: { result: { metric: object }[] } }>(
          `${prometheus.url}/api/v1/query?query=${encodeURIComponent(sent)}`,
        );
        assert.equal(answer.status, 'success', `${where}: ${sent}: ${answer.error}`);
        if (where === '$instance')
          assert.deepEqual(
            answer.data?.result.map((r) => r.metric),
            [{ instance: '127.0.0.1' }],
          );
      }
    } finally {
      await stopPrometheus(prometheus);
      assert.equal(await serve.stop(), 0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
