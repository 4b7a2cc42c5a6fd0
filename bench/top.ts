/**
 * Benchmark of `ctdoctor top` against `conntrack -E` alone, on new flows made at rising rates in a
 * lab namespace (the lab's udp-spread workload, loopback only: one new UDP entry per datagram).
 *   npm run bench:top   (= build, then `flock /tmp/ctdoctor-kernel.lock node dist/bench/top.js`)
 *   options: --seconds 3 --rates 1000,5000,10000,20000,40000,0   (0: as fast as the senders go)
 * Needs root, conntrack-tools and GNU time (/usr/bin/time, for CPU and peak RSS). Each run gets a
 * fresh namespace; the flows created are the namespace's nf_conntrack_count afterwards (the UDP
 * timeout, 30 s, outlives the run). Prints figures side by side; it asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopInterval } from '../src/core/events/churn.js';
import { LOST_EVENTS_LINE } from '../src/core/events/eventLine.js';
import { type LabNamespace, withLabNamespace } from '../src/lab/labNamespace.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CLI = join(REPO, 'bin', 'ctdoctor.js');
const option = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1]! : fallback;
};
const SEND_SECONDS = Number(option('seconds', '3'));
const RATES = option('rates', '1000,5000,10000,20000,40000,0').split(',').map(Number);
/** One udp-spread process sends ~35k datagrams/s here (one core); more senders above that. */
const RATE_PER_SENDER = 25_000;
const UNTHROTTLED_SENDERS = 2;
/** Before the senders start (the listener subscribes; node starts in ~0.3 s) and after (it drains). */
const WARM_UP_MS = 1500;
const DRAIN_MS = 1500;

interface Listened {
  /** Flows made in the listener's namespace while it listened. */
  created: number;
  /** NEW events the listener reported. */
  kept: number;
  lostWarnings: number;
  cpuPercent: number;
  maxRssMb: number;
}

interface Row {
  offered: number;
  conntrack: Listened;
  top: Listened;
}

/** GNU time's `%e %U %S %M` (elapsed, user, system seconds; peak RSS KiB) from its -o file. */
function timeFigures(path: string): Pick<Listened, 'cpuPercent' | 'maxRssMb'> {
  const [elapsed, user, system, rssKb] = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .pop()!
    .split(' ')
    .map(Number);
  return { cpuPercent: ((user! + system!) / elapsed!) * 100, maxRssMb: rssKb! / 1024 };
}

/** The senders for `rate` new flows/s (0: unthrottled), each to its own range of destinations. */
function startSenders(lab: LabNamespace, rate: number) {
  const senders = rate === 0 ? UNTHROTTLED_SENDERS : Math.ceil(rate / RATE_PER_SENDER);
  const each = rate / senders;
  // Enough distinct destinations that none repeats within the run (a repeat is no new entry).
  const count = rate === 0 ? 200_000 : Math.ceil(each * SEND_SECONDS * 1.5);
  return Array.from({ length: senders }, (_, index) =>
    lab.startWorkload('udp-spread', {
      rate: each,
      batch: 64,
      seconds: SEND_SECONDS,
      count,
      offset: index * 1_000_000,
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function closed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('close', () => resolve()));
}

/** One run: the listener subscribes, the senders send, the listener drains; returns flows created. */
async function drive(lab: LabNamespace, rate: number): Promise<number> {
  await sleep(WARM_UP_MS);
  for (const sender of startSenders(lab, rate)) await sender.finished;
  await sleep(DRAIN_MS);
  return lab.count();
}

/** `conntrack -E -e NEW -o timestamp,id` with its output in a tmpfs file (counted afterwards). */
async function conntrackAlone(rate: number, scratch: string): Promise<Listened> {
  return withLabNamespace(async (lab) => {
    const out = join(scratch, `conntrack-${rate}.out`);
    const times = join(scratch, `conntrack-${rate}.time`);
    const command = `exec /usr/bin/time -o ${times} -f '%e %U %S %M' conntrack -E -e NEW -o timestamp,id > ${out}`;
    // Its own process group: SIGINT reaches conntrack (GNU time ignores it while it waits).
    const child = spawn('ip', ['netns', 'exec', lab.name, 'sh', '-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const created = await drive(lab, rate);
    process.kill(-child.pid!, 'SIGINT');
    await closed(child);
    const kept = readFileSync(out, 'latin1').split('\n').length - 1;
    const lostWarnings = stderr.split('\n').filter((line) => LOST_EVENTS_LINE.test(line)).length;
    return { created, kept, lostWarnings, ...timeFigures(times) };
  }, 'ctdbench');
}

/**
 * `ctdoctor top --netns NAME --json` over the same span, its NEW events summed over its intervals.
 * It runs until interrupted, as an operator runs it, and is stopped (Ctrl-C) only once the senders
 * are done and the drain is over: a fixed --seconds window ended before the senders did whenever a
 * loaded machine stretched their start, and read as lost events.
 */
async function ctdoctorTop(rate: number, scratch: string): Promise<Listened> {
  return withLabNamespace(async (lab) => {
    const times = join(scratch, `top-${rate}.time`);
    // The default interval (2 s), as an operator runs it.
    const args = ['top', '--netns', lab.name, '--json'];
    // Its own process group: SIGINT reaches top (GNU time ignores it while it waits).
    const child = spawn('/usr/bin/time', ['-o', times, '-f', '%e %U %S %M', process.execPath, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const created = await drive(lab, rate);
    process.kill(-child.pid!, 'SIGINT');
    await closed(child);
    const intervals = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TopInterval);
    const kept = Math.round(intervals.reduce((sum, row) => sum + row.newPerSecond * row.intervalSeconds, 0));
    const lostWarnings = intervals.at(-1)?.lostEventWarningsTotal ?? 0;
    return { created, kept, lostWarnings, ...timeFigures(times) };
  }, 'ctdbench');
}

const percent = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '-');

function line(row: Row): string {
  const kept = (listened: Listened) =>
    `${percent(listened.kept, listened.created).padStart(6)} ${String(Math.max(0, listened.created - listened.kept)).padStart(7)} ${String(listened.lostWarnings).padStart(4)}`;
  return [
    String(Math.round(row.offered)).padStart(8),
    kept(row.conntrack),
    row.conntrack.cpuPercent.toFixed(0).padStart(5),
    kept(row.top),
    row.top.cpuPercent.toFixed(0).padStart(5),
    row.top.maxRssMb.toFixed(0).padStart(6),
  ].join('  ');
}

async function main(): Promise<void> {
  const scratch = mkdtempSync('/dev/shm/ctdoctor-bench-top-');
  const rows: Row[] = [];
  try {
    process.stdout.write(
      `top benchmark: new UDP flows for ${SEND_SECONDS} s per rate, each listener in a fresh namespace\n` +
        '  flows/s   conntrack -E -e NEW > file      ctdoctor top --json\n' +
        '            kept    lost  ENOB  CPU%    kept    lost  ENOB  CPU%  RSS MB\n',
    );
    for (const rate of RATES) {
      const conntrack = await conntrackAlone(rate, scratch);
      const top = await ctdoctorTop(rate, scratch);
      // Each run made its own flows, judged against its own count; the rate offered is their mean.
      const row: Row = { offered: (conntrack.created + top.created) / 2 / SEND_SECONDS, conntrack, top };
      rows.push(row);
      process.stdout.write(`${line(row)}\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const sustained = (pick: (row: Row) => Listened) =>
    Math.max(
      0,
      ...rows.filter((row) => pick(row).kept >= 0.99 * pick(row).created).map((row) => row.offered),
    );
  const theirs = sustained((row) => row.conntrack);
  const ours = sustained((row) => row.top);
  process.stdout.write(
    `highest rate kept (≥ 99 % of events): conntrack -E ${Math.round(theirs)}/s, top ${Math.round(ours)}/s, ratio ${theirs > 0 ? (ours / theirs).toFixed(2) : '-'}\n`,
  );
}

await main();
