/**
 * Captures test/fixtures/lab from the real kernel (as root, under the kernel lock:
 * `npm run build && flock /tmp/ctdoctor-kernel.lock node dist/scripts/capture-lab-fixtures.js`):
 * five `ctdoctor lab --json` reports, a table with helpers at work, and the raw readings of one lab run (each generator's lines,
 * the lab namespace's stat file and dump counts, /proc/stat before and after), from which a test
 * assembles the RunMeasurements that summarizeRun turns into a row. None of it is typed by hand.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_ENDPOINTS } from '../src/core/lab/labEndpoints.js';
import { helpersForWorkload } from '../src/core/lab/labHelpers.js';
import { combineScenarios } from '../src/core/lab/labScenarios.js';
import { LAB_SHORT_TIMEOUTS } from '../src/core/lab/labTimeouts.js';
import { parseSlabEntrySize } from '../src/core/kernelInfo.js';
import { type LabNamespace, withLabNamespace } from '../src/lab/labNamespace.js';
import type { GeneratorArgs } from '../src/lab/generator.js';
import { steadyFromSeconds } from '../src/lab/labRun.js';
import { helperRuleset } from '../src/lab/labRulesets.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAB_FIXTURES = join(REPO, 'test', 'fixtures', 'lab');
const CLI = join(REPO, 'bin', 'ctdoctor.js');
const GENERATOR_SCRIPT = fileURLToPath(new URL('../src/lab/generator.js', import.meta.url));

/** The raw run: small enough to keep, long enough to pass its steady point (TIME_WAIT 5 s + 1). */
const RUN_SCENARIO = 'mixed:rate=300/s,connections=10';
const RUN_SECONDS = 8;
const RUN_SAMPLE_MS = 1000;
/** The interrupted report: a rate one generator cannot make, stopped by SIGTERM part-way. */
const INTERRUPTED_AFTER_MS = 4000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** `ctdoctor lab … --json`'s stdout; SIGTERM after `stopAfterMs` when given. */
function labJson(args: readonly string[], stopAfterMs?: number): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'lab', ...args, '--yes', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  if (stopAfterMs !== undefined) setTimeout(() => child.kill('SIGTERM'), stopAfterMs);
  return new Promise((resolve, reject) => {
    child.once('close', (code) =>
      code === 0 || (stopAfterMs !== undefined && code === 143)
        ? resolve(stdout)
        : reject(new Error(`ctdoctor lab ${args.join(' ')} exited ${code}`)),
    );
  });
}

async function captureReports(): Promise<string[]> {
  const hostBuckets = Number(await readFile('/proc/sys/net/netfilter/nf_conntrack_buckets', 'utf8'));
  const mixed = [
    '--scenario',
    'mixed',
    '--duration',
    '10s',
    '--compare',
    'max=3000',
    '--compare',
    'as-is',
    '--compare',
    `buckets=${hostBuckets / 2}`,
  ];
  await put(join(LAB_FIXTURES, 'report-mixed.json'), await labJson(mixed));
  const tightAndRoomy = [
    '--scenario',
    'mixed',
    '--duration',
    '12s',
    '--compare',
    'max=3000',
    '--compare',
    'max=20000',
  ];
  await put(join(LAB_FIXTURES, 'lab-report.json'), await labJson(tightAndRoomy));
  const helpers = [
    '--scenario',
    'udp-dns:rate=1000/s',
    '--scenario',
    'short-flows:rate=300/s',
    '--duration',
    '10s',
    '--compare',
    'helpers=off',
    '--compare',
    'helpers=on',
  ];
  await put(join(LAB_FIXTURES, 'report-helpers.json'), await labJson(helpers));
  const router = [
    '--topology',
    'router',
    '--scenario',
    'mixed:rate=300/s,connections=20',
    '--scenario',
    'nat-service:rate=200/s',
    '--scenario',
    'udp-flood:rate=300/s',
    '--duration',
    '10s',
    '--compare',
    'max=2500',
    '--compare',
    'max=20000',
  ];
  await put(join(LAB_FIXTURES, 'report-router.json'), await labJson(router));
  const interrupted = ['--scenario', 'short-flows:rate=50000/s', '--duration', '10s'];
  await put(join(LAB_FIXTURES, 'report-interrupted.json'), await labJson(interrupted, INTERRUPTED_AFTER_MS));
  return [
    `report-mixed.json: ctdoctor lab ${mixed.join(' ')} --yes --json`,
    `lab-report.json: ctdoctor lab ${tightAndRoomy.join(' ')} --yes --json`,
    `report-helpers.json: ctdoctor lab ${helpers.join(' ')} --yes --json`,
    `report-router.json: ctdoctor lab ${router.join(' ')} --yes --json`,
    `report-interrupted.json: ctdoctor lab ${interrupted.join(' ')} --yes --json, sent SIGTERM after ${INTERRUPTED_AFTER_MS / 1000} s (exit 143)`,
  ];
}

/** A generator entered into the lab namespace as labRun does; resolves with every line it printed. */
function generatorLines(lab: LabNamespace, args: GeneratorArgs): Promise<string> {
  const child = spawn(
    'nsenter',
    [`--net=${lab.path}`, '--', process.execPath, GENERATOR_SCRIPT, JSON.stringify(args)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`generator exited ${code}`)),
    );
  });
}

const dumpCount = async (lab: LabNamespace) =>
  (await lab.execChecked('conntrack', ['-L'])).split('\n').filter(Boolean).length;

async function captureRun(): Promise<string> {
  const dir = join(LAB_FIXTURES, 'run-mixed');
  await rm(dir, { recursive: true, force: true });
  const generators = combineScenarios([RUN_SCENARIO]);
  await withLabNamespace(async (lab) => {
    for (const [name, seconds] of Object.entries(LAB_SHORT_TIMEOUTS))
      await lab.setSysctl(`nf_conntrack_${name}`, seconds);
    await put(join(dir, 'proc-stat.before.txt'), await readFile('/proc/stat', 'utf8'));
    const startedAt = performance.now();
    const elapsed = () => ((performance.now() - startedAt) / 1000).toFixed(2);
    const stat = () => lab.execChecked('cat', ['/proc/net/stat/nf_conntrack']);
    await put(join(dir, 'stat', `${elapsed()}.txt`), await stat());
    let running = true;
    const lines = Promise.all(
      generators.map((spec) => generatorLines(lab, { ...spec, seconds: RUN_SECONDS, role: 'both' })),
    ).finally(() => {
      running = false;
    });
    const live: string[] = [];
    while (running) {
      await sleep(RUN_SAMPLE_MS);
      const at = elapsed();
      await put(join(dir, 'stat', `${at}.txt`), await stat());
      live.push(`${at} ${await dumpCount(lab)}`);
    }
    for (const [index, text] of (await lines).entries())
      await put(join(dir, `generator-${generators[index]!.kind}.jsonl`), text);
    await put(join(dir, 'stat', `${elapsed()}.txt`), await stat());
    await put(join(dir, 'proc-stat.after.txt'), await readFile('/proc/stat', 'utf8'));
    await put(join(dir, 'live.txt'), `${live.join('\n')}\n`);
    const timeouts: Record<string, number> = {};
    for (const name of Object.keys(LAB_SHORT_TIMEOUTS))
      timeouts[name] = Number(await lab.readSysctl(`nf_conntrack_${name}`));
    const setting = async (name: string) =>
      Number(await readFile(`/proc/sys/net/netfilter/nf_conntrack_${name}`, 'utf8'));
    const run = {
      netns: lab.name,
      scenario: RUN_SCENARIO,
      seconds: Number(elapsed()),
      steadyFromSeconds: steadyFromSeconds(generators, timeouts, RUN_SECONDS),
      settings: { max: await setting('max'), buckets: await setting('buckets'), timeouts },
      entryBytes: parseSlabEntrySize(await readFile('/proc/slabinfo', 'utf8'))?.objectBytes ?? null,
    };
    await put(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  }, 'ctdfix');
  return `run-mixed/: the generators of --scenario ${RUN_SCENARIO} (${RUN_SECONDS} s, the lab's short timeouts) run by dist/src/lab/generator.js through nsenter into a private namespace as src/lab/labRun.ts does; generator-KIND.jsonl is every line each printed; stat/SECONDS.txt the namespace's /proc/net/stat/nf_conntrack read that many seconds into the run (before the generators started, every ${RUN_SAMPLE_MS / 1000} s, and after they ended); live.txt "SECONDS ENTRIES" the lines of a conntrack -L dump taken after each read; proc-stat.before.txt / .after.txt /proc/stat around the run; run.json the namespace, the settings read back, the run's seconds, its steady point (steadyFromSeconds of src/lab/labRun.ts) and the slab's entry size.`;
}

/** A TFTP read request: what makes the tftp helper set up an expectation for the reply's data flow. */
const TFTP_READ_REQUEST = `const socket = require('node:dgram').createSocket('udp4');
socket.send(Buffer.from('\\0\\x01ctdoctor\\0octet\\0', 'latin1'), ${LAB_ENDPOINTS.udpDns.port}, '${LAB_ENDPOINTS.udpDns.server}', () => socket.close());`;
const HELPERS_SCENARIOS = ['udp-dns:rate=50/s', 'short-flows:rate=50/s'];

/** A table with helpers at work (helpers=on's ruleset): entries with helper=, and a TFTP request's expectation. */
async function captureHelpers(): Promise<string> {
  const dir = join(LAB_FIXTURES, 'helpers');
  await rm(dir, { recursive: true, force: true });
  const generators = combineScenarios(HELPERS_SCENARIOS);
  await withLabNamespace(async (lab) => {
    await lab.execChecked('nft', ['-f', '-'], helperRuleset(helpersForWorkload(generators)));
    const running = Promise.all(
      generators.map((spec) => generatorLines(lab, { ...spec, seconds: 3, role: 'both' })),
    );
    await sleep(2000);
    await lab.execChecked(process.execPath, ['-e', TFTP_READ_REQUEST]);
    await put(join(dir, 'conntrack-L.txt'), await lab.execChecked('conntrack', ['-L']));
    await put(
      join(dir, 'nf_conntrack_expect.txt'),
      await lab.execChecked('cat', ['/proc/net/nf_conntrack_expect']),
    );
    await running;
  }, 'ctdfix');
  return `helpers/: --scenario ${HELPERS_SCENARIOS.join(' --scenario ')} for 3 s in a private namespace with helpers=on's ruleset (src/lab/labRulesets.ts: ftp on the TCP ports, tftp on 53/udp) and one TFTP read request to 53/udp 2 s in; conntrack-L.txt the dump and nf_conntrack_expect.txt the namespace's expectations, read right after the request.`;
}

const parts = process.argv.slice(2);
const wanted = (part: string) => parts.length === 0 || parts.includes(part);
const lines = [
  'Captured by scripts/capture-lab-fixtures.ts on the real kernel (as root, loopback only):',
  '',
];
if (wanted('reports')) lines.push(...(await captureReports()));
if (wanted('run')) lines.push(await captureRun());
if (wanted('helpers')) lines.push(await captureHelpers());
if (parts.length === 0) await put(join(LAB_FIXTURES, 'README'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
