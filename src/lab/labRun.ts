import { readFile } from 'node:fs/promises';
import type { GeneratorDone } from '../core/lab/generatorReport.js';
import { LAB_ENDPOINTS } from '../core/lab/labEndpoints.js';
import {
  type CounterSample,
  type LiveSample,
  type RunMeasurements,
  counterSample,
} from '../core/lab/labResult.js';
import { globalMaxFloor } from '../core/lab/labSafety.js';
import type { GeneratorKind, GeneratorSpec } from '../core/lab/labScenarios.js';
import type { LabNotrack, LabTuning } from '../core/lab/labTuning.js';
import { parseCpuTicks, softirqPercent } from '../core/lab/softirqShare.js';
import { CtdoctorError } from '../core/errors.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../core/plan/timeoutDefaults.js';
import { parseStatFile } from '../core/statFile.js';
import { runTool } from '../host/childProcess.js';
import { DEFAULT_ROOTS } from '../host/roots.js';
import { readSysctl } from '../host/sysctlWrite.js';
import { type NamespaceHolder, startNamespaceHolder } from '../host/nsenter.js';
import { type GeneratorProcess, startGenerator } from './generatorProcess.js';
import type { GlobalSettingsHold } from './globalSettings.js';
import { LabNamespace } from './labNamespace.js';

/** Lab namespaces are named PREFIX-PID-HEX, so a later lab can tell a dead run's from a live one's. */
export const LAB_NETNS_PREFIX = 'ctdoctor-lab';
const SAMPLE_MS = 250;
const LIVE_DUMP_MS = 1000;

export interface LabPlan {
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

/** NOTRACK in the raw table, both directions (local traffic: the output hook sees every packet first). */
function notrackRuleset(rules: readonly LabNotrack[]): string {
  const lines = rules.flatMap(({ port, protocol }) => [
    `    ${protocol} dport ${port} notrack`,
    `    ${protocol} sport ${port} notrack`,
  ]);
  return [
    'table inet ctdoctor_lab_raw {',
    '  chain output {',
    '    type filter hook output priority raw; policy accept;',
    ...lines,
    '  }',
    '  chain prerouting {',
    '    type filter hook prerouting priority raw; policy accept;',
    ...lines,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The nat-service's service address, spread round-robin over its two backends (a Kubernetes Service). */
function natRuleset(): string {
  const { vip, port, dying, surviving, backendPort } = LAB_ENDPOINTS.natService;
  return [
    'table ip ctdoctor_lab_nat {',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${vip} udp dport ${port} dnat to numgen inc mod 2 map { 0 : ${dying}, 1 : ${surviving} } : ${backendPort}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

async function statSample(holder: NamespaceHolder, atSeconds: number): Promise<CounterSample> {
  return counterSample(
    parseStatFile(await readFile(`/proc/${holder.pid}/net/stat/nf_conntrack`, 'utf8')),
    atSeconds,
  );
}

async function liveEntries(ns: LabNamespace): Promise<number> {
  const dump = await runTool('nsenter', [`--net=${ns.path}`, '--', 'conntrack', '-L']);
  if (dump.exitCode !== 0)
    throw new CtdoctorError('kernel', `conntrack -L in ${ns.name}: ${dump.stderr.trim()}`);
  let lines = 0;
  for (let index = dump.stdout.indexOf('\n'); index !== -1; index = dump.stdout.indexOf('\n', index + 1))
    lines++;
  return lines;
}

/** Sets the namespace's timeouts and rules for one tuning; returns the timeouts it really has. */
async function prepare(ns: LabNamespace, plan: LabPlan, tuning: LabTuning): Promise<Record<string, number>> {
  const wanted = { ...plan.baseTimeouts, ...tuning.timeouts };
  for (const [name, seconds] of Object.entries(wanted)) await ns.setSysctl(`nf_conntrack_${name}`, seconds);
  if (tuning.notrack.length > 0) await ns.execChecked('nft', ['-f', '-'], notrackRuleset(tuning.notrack));
  if (plan.generators.some((spec) => spec.kind === 'nat-service'))
    await ns.execChecked('nft', ['-f', '-'], natRuleset());
  const shown = new Set([
    ...Object.keys(wanted),
    ...Object.values(HOLDING_TIMEOUT).filter((name) => name !== null),
  ]);
  const timeouts: Record<string, number> = {};
  for (const name of shown) timeouts[name] = Number(await ns.readSysctl(`nf_conntrack_${name}`));
  return timeouts;
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
  const ns = await LabNamespace.create(`${LAB_NETNS_PREFIX}-${process.pid}`);
  let holder: NamespaceHolder | undefined;
  const generators: GeneratorProcess[] = [];
  try {
    const timeouts = await prepare(ns, plan, tuning);
    holder = await startNamespaceHolder({
      path: ns.path,
      inode: ns.inode,
      initial: false,
      isSelf: false,
      name: ns.name,
    });
    if (tuning.max !== undefined && hold) await setMax(hold, tuning.max);
    const steadyFrom = steadyFromSeconds(plan.generators, timeouts, plan.seconds);
    const cpuBefore = parseCpuTicks(await readFile('/proc/stat', 'utf8'));
    const startedAt = performance.now();
    const elapsed = () => (performance.now() - startedAt) / 1000;
    const counters: CounterSample[] = [await statSample(holder, 0)];
    for (const spec of plan.generators)
      generators.push(startGenerator(ns.path, { ...spec, seconds: plan.seconds }));
    await Promise.all(generators.map((generator) => generator.ready));
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
      const sample = await reading(() => statSample(holder!, elapsed()));
      if (!sample) break;
      counters.push(sample);
      if (!dumping && sample.atSeconds - lastDumpAt >= LIVE_DUMP_MS / 1000) {
        lastDumpAt = sample.atSeconds;
        dumping = liveEntries(ns)
          .then((entries) => {
            live.push({ atSeconds: sample.atSeconds, entries });
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
        drops:
          sample.drop +
          sample.earlyDrop +
          sample.insertFailed -
          (counters[0]!.drop + counters[0]!.earlyDrop + counters[0]!.insertFailed),
      });
    }
    signal.removeEventListener('abort', stopAll);
    await dumping;
    if (dumpFailure) throw dumpFailure;
    const last = await reading(() => statSample(holder!, elapsed()));
    if (last) counters.push(last);
    const cpuAfter = parseCpuTicks(await readFile('/proc/stat', 'utf8'));
    const done: GeneratorDone[] = [];
    for (const outcome of await reports) {
      if (outcome.status === 'fulfilled') done.push(outcome.value);
      else if (!signal.aborted) throw outcome.reason;
    }
    return {
      tuning,
      netns: ns.name,
      settings: {
        max: hold
          ? await hold.read('max')
          : Number(await readSysctl(DEFAULT_ROOTS, 'net.netfilter.nf_conntrack_max')),
        buckets: hold
          ? await hold.read('buckets')
          : Number(await readSysctl(DEFAULT_ROOTS, 'net.netfilter.nf_conntrack_buckets')),
        timeouts,
      },
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
    for (const generator of generators) generator.stop();
    holder?.kill();
    await ns.dispose();
  }
}
