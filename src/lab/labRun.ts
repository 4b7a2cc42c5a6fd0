import type { GeneratorDone } from '../core/lab/generatorReport.js';
import {
  type CounterSample,
  type LiveSample,
  type RunMeasurements,
  counterSample,
  liveSampleOf,
  lossOf,
} from '../core/lab/labResult.js';
import { globalMaxFloor } from '../core/lab/labSafety.js';
import type { GeneratorKind, GeneratorSpec } from '../core/lab/labScenarios.js';
import type { LabTuning } from '../core/lab/labTuning.js';
import type { LabTopology } from '../core/lab/routerTopology.js';
import { type CpuTicks, parseCpuTicks, softirqPercent } from '../core/lab/softirqShare.js';
import { CtdoctorError } from '../core/errors.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../core/plan/timeoutDefaults.js';
import { DEFAULT_ROOTS } from '../host/roots.js';
import { readSysctl } from '../host/sysctlWrite.js';
import { readOptionalText } from '../host/fileRead.js';
import { type NetnsFiles, netnsFiles } from '../host/netnsFiles.js';
import { procPath } from '../host/roots.js';
import { dataOr } from '../collectors/collector.js';
import { conntrackSettings } from '../collectors/conntrackSettings.js';
import { statCounters } from '../collectors/statCounters.js';
import { type NamespaceHolder, startNamespaceHolder } from '../host/nsenter.js';
import type { GeneratorProcess } from './generatorProcess.js';
import type { GlobalSettingsHold } from './globalSettings.js';
import type { LabNamespace } from './labNamespace.js';
import { type LabPlacement, createPlacement } from './labPlacement.js';
import { helperRuleset, natRuleset, notrackRuleset } from './labRulesets.js';

/** Lab namespaces are named PREFIX-PID-HEX, so a later lab can tell a dead run's from a live one's. */
export const LAB_NETNS_PREFIX = 'ctdoctor-lab';
const SAMPLE_MS = 250;
const LIVE_DUMP_MS = 1000;

export interface LabPlan {
  topology: LabTopology;
  generators: GeneratorSpec[];
  seconds: number;
  baseTimeouts: Record<string, number>;
  entryBytes: number;
}

export interface LabProgress {
  label: string;
  second: number;
  seconds: number;
  entries: number;
  drops: number;
}

/** The timeout that holds a finished flow of each kind (what its steady state waits for). */
const HOLDING_TIMEOUT: Readonly<Record<GeneratorKind, string | null>> = {
  'short-flows': 'tcp_timeout_time_wait',
  'long-pool': null,
  'udp-dns': 'udp_timeout',
  'nat-service': 'udp_timeout',
  'udp-flood': 'udp_timeout',
  'syn-scan': 'tcp_timeout_syn_sent',
};

/**
 * The table is steady once the first flows' entries have waited out their timeout (plus a second
 * for the timer wheel), and the pool once it has opened (half the run); never later than 3/4 of
 * the run, so a run with the kernel's long timeouts still measures its last quarter (and says so).
 */
export function steadyFromSeconds(
  generators: readonly GeneratorSpec[],
  timeouts: Record<string, number>,
  seconds: number,
): number {
  const waits = generators.map((spec) => {
    if (spec.kind === 'long-pool') return seconds / 2;
    const name = HOLDING_TIMEOUT[spec.kind]!;
    return (timeouts[name] ?? KERNEL_DEFAULT_TIMEOUTS[name] ?? 0) + 1;
  });
  return Math.min(Math.max(0, ...waits), seconds * 0.75);
}

/** The lab namespace's files, read through the holder's /proc/PID (no child process per reading). */
function labFiles(ns: LabNamespace, holder: NamespaceHolder): NetnsFiles {
  return netnsFiles(
    { path: ns.path, inode: ns.inode, initial: false, isSelf: false, name: ns.name, pid: holder.pid },
    DEFAULT_ROOTS,
  );
}

/** The stat counters collector, procfs only: the lab's namespace always has the file. */
async function statSample(files: NetnsFiles, atSeconds: number): Promise<CounterSample> {
  const counters = dataOr(await statCounters(files, { source: 'procfs', netlinkAllowed: false }), null);
  if (!counters?.stats)
    throw new CtdoctorError('kernel', `no conntrack stat counters in the lab namespace ${files.target.path}`);
  return counterSample(counters.stats, atSeconds);
}

/** The settings collector: the lab namespace's timeouts, and the machine-wide max and buckets it sees. */
async function labSettings(files: NetnsFiles): Promise<RunMeasurements['settings']> {
  const settings = dataOr(await conntrackSettings(files), null);
  if (!settings)
    throw new CtdoctorError(
      'not-loaded',
      `conntrack settings unreadable in the lab namespace ${files.target.path}`,
    );
  return { max: settings.max, buckets: settings.buckets, timeouts: settings.timeouts };
}

/** Entries a dump lists (expired ones are skipped, and evicted, by the walk), and the expectations beside them. */
async function liveSample(files: NetnsFiles, atSeconds: number): Promise<LiveSample> {
  const dump = await files.run('conntrack', ['-L']);
  if (dump.exitCode !== 0)
    throw new CtdoctorError('kernel', `conntrack -L in ${files.target.path}: ${dump.stderr.trim()}`);
  return liveSampleOf(atSeconds, dump.stdout, (await files.readProcText('net/nf_conntrack_expect')) ?? '');
}

async function cpuTicks(): Promise<CpuTicks | null> {
  const text = await readOptionalText(procPath(DEFAULT_ROOTS, 'stat'));
  return text === undefined ? null : parseCpuTicks(text);
}

/** Sets the measured namespace's timeouts and rules for one tuning. */
async function prepare(placement: LabPlacement, plan: LabPlan, tuning: LabTuning): Promise<void> {
  const ns = placement.measured;
  const wanted = { ...plan.baseTimeouts, ...tuning.timeouts };
  for (const [name, seconds] of Object.entries(wanted)) await ns.setSysctl(`nf_conntrack_${name}`, seconds);
  if (tuning.notrack.length > 0) await ns.execChecked('nft', ['-f', '-'], notrackRuleset(tuning.notrack));
  if (tuning.helpers.length > 0) await loadHelpers(ns, tuning);
  if (plan.generators.some((spec) => spec.kind === 'nat-service'))
    await ns.execChecked('nft', ['-f', '-'], natRuleset(placement.natHook));
}

/** A helper this kernel lacks fails the object's creation: say which, and that the lab loads no module. */
async function loadHelpers(ns: LabNamespace, tuning: LabTuning): Promise<void> {
  try {
    await ns.execChecked('nft', ['-f', '-'], helperRuleset(tuning.helpers));
  } catch (error) {
    const names = [...new Set(tuning.helpers.map((helper) => helper.name))];
    throw new CtdoctorError(
      'not-loaded',
      `--compare ${tuning.label}: this kernel would not assign the ${names.join(', ')} helper (${error instanceof Error ? error.message : String(error)}); the lab loads no module itself: modprobe nf_conntrack_${names[0]!.replace('-', '_')} first, or compare another helper`,
    );
  }
}

/** The servers first (listening before any client sends), then the clients: the load runs once this returns. */
async function startLoad(
  placement: LabPlacement,
  plan: LabPlan,
  servers: GeneratorProcess[],
  clients: GeneratorProcess[],
): Promise<void> {
  for (const spec of plan.generators) {
    const server = placement.startServers(spec, plan.seconds);
    if (server) servers.push(server);
  }
  await Promise.all(servers.map((server) => server.ready));
  for (const spec of plan.generators) clients.push(placement.startClients(spec, plan.seconds));
  await Promise.all(clients.map((client) => client.ready));
}

/** The generators' reports; one that failed fails the run, unless the run was interrupted. */
function reportsOf(
  outcomes: readonly PromiseSettledResult<GeneratorDone>[],
  signal: AbortSignal,
): GeneratorDone[] {
  const done: GeneratorDone[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') done.push(outcome.value);
    else if (!signal.aborted) throw outcome.reason;
  }
  return done;
}

/** Refuses a max the host's own table (checked against the same max) could not live with right now. */
async function setMax(hold: GlobalSettingsHold, max: number): Promise<void> {
  const hostCount = Number(await readSysctl(DEFAULT_ROOTS, 'net.netfilter.nf_conntrack_count'));
  const floor = globalMaxFloor(hostCount);
  if (max < floor)
    throw new CtdoctorError(
      'refused',
      `the host's own table has grown to ${hostCount} entries: a max of ${max} would leave it too little room (at least ${floor}); compare a higher max`,
    );
  await hold.set('max', max);
}

/**
 * One tuning, start to end, in a namespace of its own: set it, start the generators, read the
 * table every 250 ms (and dump it every second for the live count), resize the hash once steady
 * when the tuning asks, stop, and delete the namespace. Machine-wide values are put back by the
 * caller's hold after each tuning; the namespace is deleted here whatever happens.
 */
export async function runTuning(
  plan: LabPlan,
  tuning: LabTuning,
  hold: GlobalSettingsHold | null,
  signal: AbortSignal,
  onProgress: (progress: LabProgress) => void,
): Promise<RunMeasurements> {
  const placement = await createPlacement(plan.topology, `${LAB_NETNS_PREFIX}-${process.pid}`);
  const ns = placement.measured;
  let holder: NamespaceHolder | undefined;
  const servers: GeneratorProcess[] = [];
  const generators: GeneratorProcess[] = [];
  try {
    await prepare(placement, plan, tuning);
    holder = await startNamespaceHolder({
      path: ns.path,
      inode: ns.inode,
      initial: false,
      isSelf: false,
      name: ns.name,
    });
    const files = labFiles(ns, holder);
    if (tuning.max !== undefined && hold) await setMax(hold, tuning.max);
    const { timeouts } = await labSettings(files);
    const steadyFrom = steadyFromSeconds(plan.generators, timeouts, plan.seconds);
    const cpuBefore = await cpuTicks();
    const startedAt = performance.now();
    const elapsed = () => (performance.now() - startedAt) / 1000;
    const counters: CounterSample[] = [await statSample(files, 0)];
    await startLoad(placement, plan, servers, generators);
    const reports = Promise.allSettled(generators.map((generator) => generator.done));
    let finished = false;
    reports.then(() => {
      finished = true;
    });
    const stopAll = () => {
      for (const generator of generators) generator.stop();
    };
    signal.addEventListener('abort', stopAll, { once: true });
    const live: LiveSample[] = [];
    let dumping: Promise<void> | null = null;
    let lastDumpAt = -Infinity;
    let resize: RunMeasurements['resize'] = null;
    // A Ctrl-C reaches the whole process group: the holder and a running dump may die with it,
    // so once stopping, a failed reading ends the sampling instead of the run.
    let dumpFailure: unknown;
    const reading = async (read: () => Promise<CounterSample>) => {
      try {
        return await read();
      } catch (error) {
        if (signal.aborted) return null;
        throw error;
      }
    };
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const sample = await reading(() => statSample(files, elapsed()));
      if (!sample) break;
      counters.push(sample);
      if (!dumping && sample.atSeconds - lastDumpAt >= LIVE_DUMP_MS / 1000) {
        lastDumpAt = sample.atSeconds;
        dumping = liveSample(files, sample.atSeconds)
          .then((reading) => {
            live.push(reading);
          })
          .catch((error: unknown) => {
            if (!signal.aborted) dumpFailure = error;
          })
          .finally(() => {
            dumping = null;
          });
      }
      if (
        tuning.buckets !== undefined &&
        hold &&
        !resize &&
        sample.atSeconds >= steadyFrom &&
        !signal.aborted
      ) {
        const fromBuckets = await hold.read('buckets');
        const stallMs = await hold.set('buckets', tuning.buckets);
        resize = {
          fromBuckets,
          toBuckets: await hold.read('buckets'),
          stallMs,
          entries: sample.entries,
          atSeconds: sample.atSeconds,
        };
      }
      onProgress({
        label: tuning.label,
        second: Math.floor(sample.atSeconds),
        seconds: plan.seconds,
        entries: sample.entries,
        drops: lossOf(sample) - lossOf(counters[0]!),
      });
    }
    signal.removeEventListener('abort', stopAll);
    await dumping;
    if (dumpFailure) throw dumpFailure;
    const last = await reading(() => statSample(files, elapsed()));
    if (last) counters.push(last);
    const cpuAfter = await cpuTicks();
    for (const server of servers) server.stop();
    // Servers count nothing; one that failed (its port taken, say) fails the run.
    reportsOf(await Promise.allSettled(servers.map((server) => server.done)), signal);
    const done = reportsOf(await reports, signal);
    return {
      tuning,
      netns: ns.name,
      // Read before the caller restores the globals: the max and hash this run had.
      settings: await labSettings(files),
      seconds: elapsed(),
      steadyFromSeconds: steadyFrom,
      counters,
      live,
      generators: done,
      asked: plan.generators,
      softirqPercent: softirqPercent(cpuBefore, cpuAfter),
      resize,
      entryBytes: plan.entryBytes,
      interrupted: signal.aborted,
    };
  } finally {
    for (const generator of [...generators, ...servers]) generator.stop();
    holder?.kill();
    await placement.dispose();
  }
}
