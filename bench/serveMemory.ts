/**
 * RSS of `ctdoctor serve` over a day of samples, accelerated: the daemon's own sampleOnce (sample,
 * history ring, exposition) called back to back, 17,280 times (24 h at the default 5 s interval),
 * in this process, at 1 namespace and at N `ip netns` namespaces; RSS and heap every 1,000 samples.
 *   npm run bench:serve-memory [-- --samples 17280 --netns 50 --every 1000 --scenarios host,netns]
 *     [--analyze-interval 2]   (serve's analysis worker too: a round every 2 s of wall time, every table)
 * Needs root and iproute2; takes the kernel-test lock (it creates namespaces, deleted in finally).
 * RSS is read as the daemon runs; the heap after a forced GC (node --expose-gc), so garbage not yet
 * collected does not read as a leak. Prints the curves and the second half's slope; asserts nothing.
 */
import { memoryUsage } from 'node:process';
import { keepHeapNearLive } from '../src/daemon/heapGrowth.js';
import { ServeDaemon } from '../src/daemon/serveDaemon.js';
import { samplerSourceOf } from '../src/daemon/sampler.js';
import { DEFAULT_ROOTS } from '../src/host/roots.js';
import { addNamespaces, deleteNamespaces } from './benchNamespaces.js';

const option = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1]! : fallback;
};
/** A day at serve's default interval. */
const SAMPLES = Number(option('samples', '17280'));
const NETNS = Number(option('netns', '50'));
const EVERY = Number(option('every', '1000'));
const SCENARIOS = option('scenarios', 'host,netns').split(',');
/** Wall-clock seconds between analysis rounds; 0 (serve's default) runs none. */
const ANALYZE_INTERVAL_SECONDS = Number(option('analyze-interval', '0'));
const INTERVAL_SECONDS = 5;
/** serve's default --history: the ring holds 720 samples, full after the first hour's worth. */
const HISTORY_SECONDS = 3600;
/** Growth over the second half by the fitted line below which the curve is called flat. */
const FLAT_MB = 2;
const MB = 1024 ** 2;

interface Point {
  samples: number;
  rssMb: number;
  /** Live heap, after a full GC. */
  heapMb: number;
  /** What V8 holds for the heap (used or not), after the same GC: RSS keeps what the heap once grew to. */
  heapTotalMb: number;
  /** Buffers and other memory outside the JS heap, after the same GC. */
  externalMb: number;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

interface Run {
  scenario: string;
  namespaces: number;
  seconds: number;
  points: Point[];
}

async function run(scenario: string): Promise<Run> {
  const daemon = new ServeDaemon({
    source: samplerSourceOf(DEFAULT_ROOTS),
    intervalSeconds: INTERVAL_SECONDS,
    maxNetns: 500,
    historySeconds: HISTORY_SECONDS,
    // Never started: no listener, no timer; only sampleOnce runs.
    output: { listen: { host: '127.0.0.1', port: 0 } },
    build: { version: 'bench' },
    log: () => {},
    // Every namespace's table, however small: the bench's are empty.
    analysis: { intervalSeconds: ANALYZE_INTERVAL_SECONDS, minEntries: 0, findingSubjects: 0 },
  });
  const points: Point[] = [];
  const started = performance.now();
  try {
    for (let taken = 1; taken <= SAMPLES; taken++) {
      await daemon.sampleOnce();
      if (taken % EVERY === 0 || taken === SAMPLES) {
        const rssMb = memoryUsage.rss() / MB;
        collectGarbage!();
        const usage = memoryUsage();
        points.push({
          samples: taken,
          rssMb,
          heapMb: usage.heapUsed / MB,
          heapTotalMb: usage.heapTotal / MB,
          externalMb: usage.external / MB,
        });
      }
    }
    return {
      scenario,
      namespaces: daemon.history.latest()?.namespaces.length ?? 0,
      seconds: (performance.now() - started) / 1000,
      points,
    };
  } finally {
    await daemon.stop();
  }
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const num = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const den = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function report(run: Run): void {
  const secondHalf = run.points.filter((p) => p.samples > SAMPLES / 2);
  const perSample = slope(secondHalf.map((p) => ({ x: p.samples, y: p.rssMb })));
  const growthMb = perSample * (SAMPLES / 2);
  const heapGrowthMb = slope(secondHalf.map((p) => ({ x: p.samples, y: p.heapMb }))) * (SAMPLES / 2);
  const last = run.points.at(-1)!;
  console.log(
    `\n${run.scenario}: ${run.namespaces} namespaces, ${SAMPLES} samples in ${run.seconds.toFixed(0)} s (${((run.seconds / SAMPLES) * 1000).toFixed(1)} ms each)`,
  );
  console.log(`samples: ${run.points.map((p) => p.samples).join(' ')}`);
  console.log(`RSS MB:  ${run.points.map((p) => p.rssMb.toFixed(0)).join(' ')}`);
  console.log(`heap MB: ${run.points.map((p) => p.heapMb.toFixed(0)).join(' ')} (live, after GC)`);
  console.log(`heap total MB: ${run.points.map((p) => p.heapTotalMb.toFixed(0)).join(' ')}`);
  console.log(`external MB: ${run.points.map((p) => p.externalMb.toFixed(0)).join(' ')}`);
  console.log(
    `second half: RSS ${(perSample * 1000).toFixed(3)} MB per 1000 samples (${growthMb.toFixed(1)} MB over it), heap ${heapGrowthMb.toFixed(1)} MB over it: ${Math.abs(growthMb) <= FLAT_MB ? 'flat' : 'NOT flat'}; final RSS ${last.rssMb.toFixed(0)} MB (goal ≤ 100)`,
  );
}

async function main(): Promise<void> {
  if (!collectGarbage) throw new Error('run with node --expose-gc (npm run bench:serve-memory does)');
  // As `ctdoctor serve` starts (cli/serveRun.ts): the daemon's figures, not a default V8's.
  keepHeapNearLive();
  console.log(
    `ctdoctor serve, sampleOnce back to back (24 h at ${INTERVAL_SECONDS} s = ${SAMPLES} samples), history ${HISTORY_SECONDS} s, analysis ${ANALYZE_INTERVAL_SECONDS ? `every ${ANALYZE_INTERVAL_SECONDS} s` : 'off'}; Node ${process.versions.node}`,
  );
  if (SCENARIOS.includes('host')) report(await run('host namespace only'));
  if (!SCENARIOS.includes('netns')) return;
  const names = addNamespaces('ctd-bench-m', NETNS);
  try {
    report(await run(`${NETNS} ip netns, no process`));
  } finally {
    deleteNamespaces(names);
  }
}

await main();
