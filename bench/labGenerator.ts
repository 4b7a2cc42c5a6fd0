/**
 * The lab generator's top rates beside hping3's (Debian's packet generator) on this machine, in a
 * lab namespace each, every packet to 127.0.0.0/8: new conntrack entries per second, counted by
 * the kernel (nf_conntrack_count over the run, timeouts long enough that none expires), and the
 * rate each tool reports. hping3 sends raw packets from C as fast as it can (--flood); ctdoctor's
 * generator makes real sockets from Node (a SYN is a connect(), a datagram a sendto()), and for
 * short-flows whole connections, which hping3 cannot. Run: npm run bench:lab (root, quiet machine).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { GeneratorKind } from '../src/core/lab/labScenarios.js';
import { startGenerator } from '../src/lab/generatorProcess.js';
import { withGlobalMax } from '../src/lab/globalSettings.js';
import { LabNamespace } from '../src/lab/labNamespace.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** Far above what either reaches: both run flat out. */
const ASKED_RATE = 200_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Row {
  workload: string;
  tool: string;
  toolRate: number;
  entriesPerSecond: number;
}

async function withNamespace<T>(body: (ns: LabNamespace) => Promise<T>): Promise<T> {
  const ns = await LabNamespace.create(`ctdoctor-bench-lab-${process.pid}`);
  try {
    // Long timeouts: every flow of the run is still counted at its end.
    for (const key of [
      'nf_conntrack_tcp_timeout_syn_sent',
      'nf_conntrack_udp_timeout',
      'nf_conntrack_tcp_timeout_time_wait',
    ])
      await ns.setSysctl(key, 120);
    return await body(ns);
  } finally {
    await ns.dispose();
  }
}

async function ours(kind: GeneratorKind): Promise<Row> {
  return withNamespace(async (ns) => {
    const before = await ns.count();
    const generator = startGenerator(ns.path, {
      kind,
      ratePerSecond: ASKED_RATE,
      connections: 0,
      sourceOffset: 0,
      seconds: SECONDS,
      role: 'both',
    });
    const done = await generator.done;
    const entries = (await ns.count()) - before;
    return {
      workload: kind,
      tool: 'ctdoctor lab',
      toolRate: done.attempts / done.seconds,
      entriesPerSecond: entries / done.seconds,
    };
  });
}

/** hping3 --flood for SECONDS, stopped with SIGINT (it prints its statistics then). */
async function hping(workload: string, args: string[]): Promise<Row> {
  return withNamespace(async (ns) => {
    const before = await ns.count();
    const startedAt = performance.now();
    const child = spawn('nsenter', [`--net=${ns.path}`, '--', 'hping3', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const closed = new Promise((resolve) => child.once('close', resolve));
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))]);
    child.kill('SIGINT');
    await closed;
    const seconds = (performance.now() - startedAt) / 1000;
    const sent = /(\d+) packets transmitted/.exec(output)?.[1];
    if (sent === undefined) throw new Error(`hping3 ${args.join(' ')}: ${output.trim()}`);
    const entries = (await ns.count()) - before;
    return {
      workload,
      tool: 'hping3 --flood',
      toolRate: Number(sent) / seconds,
      entriesPerSecond: entries / seconds,
    };
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function best(run: () => Promise<Row>): Promise<Row> {
  const rows: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) rows.push(await run());
  return {
    ...rows[0]!,
    toolRate: median(rows.map((row) => row.toolRate)),
    entriesPerSecond: median(rows.map((row) => row.entriesPerSecond)),
  };
}

/** Room for every flow of a flat-out run (~130k/s × 4 s); ~330 MB at most, restored after. */
const BENCH_MAX = 1 << 20;

const rows: Row[] = await withGlobalMax(BENCH_MAX, async () => [
  // SYNs nobody answers (127.99/16 is the lab's blackhole): one entry per SYN.
  await best(() => ours('syn-scan')),
  await best(() => hping('syn-scan', ['-S', '-p', '80', '--flood', '-I', 'lo', '--rand-dest', '127.99.x.x'])),
  // UDP datagrams to addresses that never answer: one entry per datagram.
  await best(() => ours('udp-flood')),
  await best(() =>
    hping('udp-flood', ['--udp', '-p', '9000', '--flood', '-I', 'lo', '--rand-dest', '127.99.x.x']),
  ),
  // Whole connections and answered queries: nothing in Debian generates these per flow.
  await best(() => ours('short-flows')),
  await best(() => ours('udp-dns')),
]);

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
process.stdout.write(
  `lab generator vs hping3: ${SECONDS} s each, median of ${ROUNDS}, ${availableParallelism()} CPUs, node ${process.version}\n`,
);
process.stdout.write(
  `${pad('workload', 12)} ${pad('tool', 15)} ${'rate it reports'.padStart(16)} ${'new entries/s'.padStart(14)}\n`,
);
for (const row of rows)
  process.stdout.write(
    `${pad(row.workload, 12)} ${pad(row.tool, 15)} ${num(row.toolRate).padStart(16)} ${num(row.entriesPerSecond).padStart(14)}\n`,
  );
