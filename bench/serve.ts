/**
 * Benchmark of `ctdoctor serve` at many namespaces: sample duration, sampler CPU, RSS and /metrics
 * latency, for the host alone, N namespaces with a process each, and N `ip netns` namespaces with no
 * process (read through holders).
 *   npm run bench:serve [-- --netns 200 --seconds 30 --scrapes 500 --baseline-cli OTHER/bin/ctdoctor.js]
 * With --baseline-cli, every scenario is also measured with that build (e.g. main's, to show what a
 * change costs: the kernel-log follower and drift watcher), in the same run, on the same namespaces.
 * With --analysis-entries N (e.g. 100000), one more scenario: a namespace holding N UDP entries,
 * analysed by serve's worker (ctdoctor_analysis_duration_seconds) beside `ctdoctor analyze --netns`.
 * Needs root and iproute2; takes the kernel-test lock (it creates namespaces). Creates only
 * loopback-only namespaces (no traffic) and deletes them in finally. Prints figures; asserts nothing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LabNamespace, withLabNamespace } from '../src/lab/labNamespace.js';
import { addNamespaces, deleteNamespaces } from './benchNamespaces.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CLI = join(REPO, 'bin', 'ctdoctor.js');
const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const NETNS = arg('netns', 200);
const SECONDS = arg('seconds', 60);
const WARMUP_SAMPLES = 3;
const SCRAPES = arg('scrapes', 500);
const ANALYSIS_ENTRIES = arg('analysis-entries', 0);
const baselineIndex = process.argv.indexOf('--baseline-cli');
const BASELINE_CLI = baselineIndex > 0 ? process.argv[baselineIndex + 1] : undefined;
/** serve's default interval: the CPU goal (≤ 2 % of a core) is stated for it. */
const INTERVAL_SECONDS = 5;
/** USER_HZ: the unit of /proc/PID/stat times (ABI). */
const USER_HZ = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ; // utime + stime
}

function rssMb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function metricValue(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  // The value is the last word: a label value may hold spaces (collector="kernel log").
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function startServe(cli: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--listen', '127.0.0.1:0', '--interval', String(INTERVAL_SECONDS), ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)\/metrics/.exec(stderr)?.[1];
    if (url) return { child, url };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${stderr}`);
    await sleep(50);
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

interface Figures {
  scenario: string;
  namespaces: number;
  sampleSeconds: number[];
  /** The kernel-log follower's and drift watcher's share of each sample (absent in older builds). */
  watcherSeconds: number[];
  cpuPercent: number;
  rssMb: number;
  scrapeP50Ms: number;
  scrapeP99Ms: number;
  children: number;
}

/**
 * One serve over SECONDS of samples (CPU with one scrape per interval, sample durations), then SCRAPES
 * sequential scrapes (latency).
 */
async function measure(scenario: string, cli = CLI): Promise<Figures> {
  const { child, url } = await startServe(cli);
  const pid = child.pid!;
  try {
    // Past start-up (holders started, first identity read) and the JIT warm-up of the first samples.
    await sleep(WARMUP_SAMPLES * INTERVAL_SECONDS * 1000);
    const cpuBefore = cpuSeconds(pid);
    const started = performance.now();
    const sampleSeconds: number[] = [];
    const watcherSeconds: number[] = [];
    let lastTaken = 0;
    while (performance.now() - started < SECONDS * 1000) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const taken = metricValue(text, 'ctdoctor_sample_timestamp_seconds') ?? 0;
      if (taken !== lastTaken) {
        lastTaken = taken;
        sampleSeconds.push(metricValue(text, 'ctdoctor_sample_duration_seconds') ?? Number.NaN);
        const watchers = ['drift', 'kernel log'].map((collector) =>
          metricValue(text, `ctdoctor_collector_duration_seconds{collector="${collector}"}`),
        );
        if (watchers.every((seconds) => seconds !== undefined))
          watcherSeconds.push(watchers.reduce((sum, seconds) => sum! + seconds!, 0)!);
      }
      // One scrape per sample, as Prometheus scraping at the sample interval: its cost is in the CPU.
      await sleep(INTERVAL_SECONDS * 1000);
    }
    const cpuPercent = ((cpuSeconds(pid) - cpuBefore) / ((performance.now() - started) / 1000)) * 100;
    const latencies: number[] = [];
    let namespaces = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const t0 = performance.now();
      const text = await (await fetch(`${url}/metrics`)).text();
      latencies.push(performance.now() - t0);
      namespaces = metricValue(text, 'ctdoctor_netns_sampled') ?? 0;
    }
    latencies.sort((a, b) => a - b);
    const children = Number(
      execFileSync('sh', ['-c', `pgrep -c -P ${pid} || true`], { encoding: 'utf8' }).trim(),
    );
    return {
      scenario,
      namespaces,
      sampleSeconds,
      watcherSeconds,
      cpuPercent,
      rssMb: rssMb(pid),
      scrapeP50Ms: percentile(latencies, 0.5),
      scrapeP99Ms: percentile(latencies, 0.99),
      children,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
  }
}

/** This build, then the baseline's when one is given. */
async function measureBoth(scenario: string): Promise<Figures[]> {
  const figures = [await measure(scenario)];
  if (BASELINE_CLI) figures.push(await measure(`${scenario} (baseline)`, BASELINE_CLI));
  return figures;
}

/** The N-namespace scenarios (--netns 0 skips them, e.g. to time only the analysis). */
async function namespaceScenarios(results: Figures[]): Promise<void> {
  const withProcess = addNamespaces('ctd-bench-p', NETNS);
  const sleepers: ChildProcess[] = [];
  try {
    for (const name of withProcess) {
      sleepers.push(spawn('ip', ['netns', 'exec', name, 'sleep', '3600'], { stdio: 'ignore' }));
    }
    await sleep(1000);
    results.push(...(await measureBoth(`${NETNS} netns, a process each`)));
  } finally {
    for (const sleeper of sleepers) sleeper.kill('SIGKILL');
    deleteNamespaces(withProcess);
  }
  const processLess = addNamespaces('ctd-bench-n', NETNS);
  try {
    results.push(...(await measureBoth(`${NETNS} ip netns, no process`)));
  } finally {
    deleteNamespaces(processLess);
  }
}

/** Fills a namespace with `entries` UDP entries (one per loopback address, kept 10 min). */
async function fill(lab: LabNamespace, entries: number): Promise<void> {
  await lab.setSysctl('nf_conntrack_udp_timeout', 600);
  await lab.runWorkload('udp-spread', { count: entries, port: 9000, offset: 10000 });
}

/** serve's worker on one big table, and `analyze --netns` on the same table, each timed. */
async function measureAnalysis(): Promise<string> {
  return withLabNamespace(async (lab) => {
    await fill(lab, ANALYSIS_ENTRIES);
    const entries = await lab.count();
    const t0 = performance.now();
    execFileSync(process.execPath, [CLI, 'analyze', '--netns', lab.name, '--json'], { stdio: 'ignore' });
    const cliSeconds = (performance.now() - t0) / 1000;
    const threshold = String(Math.floor(entries / 2));
    const { child, url } = await startServe(CLI, [
      '--analyze-interval',
      '1',
      '--analyze-min-entries',
      threshold,
    ]);
    try {
      const metric = `ctdoctor_analysis_duration_seconds{netns="${lab.inode}",netns_name="${lab.name}"}`;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const seconds = metricValue(await (await fetch(`${url}/metrics`)).text(), metric);
        if (seconds !== undefined)
          return `| analysis of one namespace | ${entries} entries | serve's worker ${seconds.toFixed(3)} s | analyze --netns ${cliSeconds.toFixed(3)} s (whole CLI run) |`;
        if (Date.now() > deadline) throw new Error('no analysis within 120 s');
        await sleep(500);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  results.push(...(await measureBoth('host namespace only')));
  if (NETNS > 0) await namespaceScenarios(results);
  const analysis = ANALYSIS_ENTRIES > 0 ? await measureAnalysis() : undefined;
  const processes = readFileSync('/proc/loadavg', 'utf8').split(' ')[3];
  console.log(
    `ctdoctor serve, interval ${INTERVAL_SECONDS} s, ${SECONDS} s of samples, ${SCRAPES} scrapes; running/total tasks ${processes}`,
  );
  console.log(
    '| scenario | namespaces | sample s (median, max) | of which drift + kernel log s (median, max) | CPU % of a core | RSS MB | scrape p50 / p99 ms | child processes |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const sorted = [...r.sampleSeconds].sort((a, b) => a - b);
    const watchers = [...r.watcherSeconds].sort((a, b) => a - b);
    const watcherCell =
      watchers.length === 0 ? '—' : `${percentile(watchers, 0.5).toFixed(4)}, ${watchers.at(-1)!.toFixed(4)}`;
    console.log(
      `| ${r.scenario} | ${r.namespaces} | ${percentile(sorted, 0.5).toFixed(3)}, ${sorted.at(-1)!.toFixed(3)} | ${watcherCell} | ${r.cpuPercent.toFixed(2)} | ${r.rssMb.toFixed(0)} | ${r.scrapeP50Ms.toFixed(2)} / ${r.scrapeP99Ms.toFixed(2)} | ${r.children} |`,
    );
  }
  if (analysis) console.log(`\n${analysis}`);
}

await main();
