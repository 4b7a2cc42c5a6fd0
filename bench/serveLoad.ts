/**
 * Load test of `ctdoctor serve`'s HTTP endpoints beside node_exporter's, with autocannon: for each
 * scenario SECONDS of /metrics and the second endpoint (serve's /api/status when it has one, else
 * its landing page /; node_exporter's landing page /) requested at once, RATE requests/s in all
 * (half each), over CONNECTIONS connections each. Scenarios: node_exporter with only its conntrack
 * collector at 1 namespace, serve at 1 namespace, serve at N `ip netns` namespaces.
 *   npm run bench:serve-load [-- --seconds 60 --rate 200 --netns 200 --connections 10]
 * Needs root, iproute2 and Debian's prometheus-node-exporter; takes the kernel-test lock (it creates
 * namespaces, deleted in finally). Loopback only. Prints figures side by side; asserts nothing.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { startNodeExporter, startServe } from '../test/support/serve.js';
import { addNamespaces, deleteNamespaces } from './benchNamespaces.js';

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const SECONDS = option('seconds', 60);
const RATE = option('rate', 200);
const NETNS = option('netns', 200);
const CONNECTIONS = option('connections', 10);
/** Past serve's start-up (holders, the first identity read) and the JIT warm-up of its first samples. */
const WARM_UP_MS = 5000;
/** A namespace's first sample starts its holder: at 200 that takes seconds on a loaded host. */
const STARTUP_MS = 120_000;

interface EndpointFigures {
  path: string;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * One endpoint at `rate` requests/s. Latencies come from autocannon's per-response event, in
 * fractional milliseconds: its own histogram keeps whole milliseconds, too coarse for a 1 ms scrape.
 */
function load(url: string, path: string, rate: number): Promise<EndpointFigures> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `${url}${path}`, connections: CONNECTIONS, overallRate: rate, duration: SECONDS, timeout: 10 },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          path,
          sent: result.requests.sent,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          ratePerSecond: result['2xx'] / SECONDS,
          p50Ms: percentile(latencies, 0.5),
          p99Ms: percentile(latencies, 0.99),
          maxMs: latencies.at(-1) ?? Number.NaN,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/** /metrics and `other` at once, half the rate each. */
async function both(url: string, other: string): Promise<EndpointFigures[]> {
  return Promise.all([load(url, '/metrics', RATE / 2), load(url, other, RATE / 2)]);
}

interface Scenario {
  name: string;
  namespaces: number;
  figures: EndpointFigures[];
}

async function exporterScenario(): Promise<Scenario> {
  const exporter = await startNodeExporter();
  try {
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    return {
      name: 'node_exporter (conntrack collector only)',
      namespaces: 1,
      figures: await both(exporter.url, '/'),
    };
  } finally {
    exporter.child.kill('SIGTERM');
  }
}

async function serveScenario(name: string): Promise<Scenario> {
  const serve = await startServe(['--listen', '127.0.0.1:0'], [], STARTUP_MS);
  try {
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const status = await fetch(`${serve.url}/api/status`);
    await status.arrayBuffer();
    const text = await (await fetch(`${serve.url}/metrics`)).text();
    const namespaces = Number(/^ctdoctor_netns_sampled (\d+)$/m.exec(text)?.[1]);
    return { name, namespaces, figures: await both(serve.url, status.ok ? '/api/status' : '/') };
  } finally {
    await serve.stop();
  }
}

function print(scenarios: Scenario[]): void {
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  console.log(
    `${SECONDS} s per scenario, ${RATE} requests/s in all (half per endpoint), ${CONNECTIONS} connections per endpoint, loopback; loadavg at the end ${load}`,
  );
  console.log(
    '| scenario | namespaces | endpoint | requests | 2xx/s | errors | timeouts | non-2xx | p50 ms | p99 ms | max ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const scenario of scenarios) {
    for (const f of scenario.figures) {
      console.log(
        `| ${scenario.name} | ${scenario.namespaces} | ${f.path} | ${f.sent} | ${f.ratePerSecond.toFixed(1)} | ${f.errors} | ${f.timeouts} | ${f.non2xx} | ${f.p50Ms.toFixed(2)} | ${f.p99Ms.toFixed(2)} | ${f.maxMs.toFixed(2)} |`,
      );
    }
  }
}

async function main(): Promise<void> {
  const scenarios = [await exporterScenario(), await serveScenario('ctdoctor serve')];
  const names = addNamespaces('ctd-bench-l', NETNS);
  try {
    scenarios.push(await serveScenario(`ctdoctor serve, ${NETNS} ip netns`));
  } finally {
    deleteNamespaces(names);
  }
  print(scenarios);
}

await main();
