import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { scanTableProfile } from '../analysisRuntime/tableProfileScan.js';
import { dataOr } from '../collectors/collector.js';
import { conntrackSettings } from '../collectors/conntrackSettings.js';
import { countNewFlows } from '../collectors/newFlowCounts.js';
import type { ConntrackSettings } from '../core/conntrackSettings.js';
import { CtdoctorError } from '../core/errors.js';
import type { NetnsIdentity } from '../core/status.js';
import { parseCandidateChange } from '../core/plan/candidateChanges.js';
import { DEFAULT_HEADROOM, type PlanInput, planCapacity } from '../core/plan/capacityPlan.js';
import { TableProfile, liveLoad } from '../core/plan/liveLoad.js';
import { timeoutLookup } from '../core/plan/steadyStateEntries.js';
import { openLiveTable } from '../host/tableSource.js';
import { renderPlan } from '../render/planText.js';
import { renderVerifiedPlan } from '../render/planVerifyText.js';
import { LAB_SHORT_TIMEOUTS } from '../core/lab/labTimeouts.js';
import { bareTuning } from '../core/lab/labTuning.js';
import { verifyWorkload } from '../core/lab/planWorkload.js';
import { verifiedPlan } from '../core/lab/planVerification.js';
import { runLabFromCli } from './labSessionRun.js';
import { type StateOptions, addStateOptions } from './stateOptions.js';
import { actionWithExitCode } from './commandExit.js';
import {
  type CommandContext,
  type CommonOptions,
  addNamespaceOptions,
  durationRange,
  openContext,
  parseDuration,
  parsePositiveNumber,
  parseWholeNumber,
} from './context.js';
import { EXIT, printJson } from './output.js';
import { type LoadOptions, statedLoad } from './planLoad.js';

interface PlanOptions extends Omit<CommonOptions, 'source'>, LoadOptions, StateOptions {
  try: string[];
  headroom: number;
  cpus: number;
  fromLive?: boolean;
  seconds: number;
  verify?: boolean;
  verifyDuration: number;
  yes?: boolean;
}

/**
 * A live measurement needs a few arrivals of every class and at least one timer tick of the table;
 * past 10 min the operator is waiting on a prompt (and a table dump is taken only at the end).
 */
const LIVE_BOUNDS = { unit: 's', minSeconds: 1, maxSeconds: 600 } as const;
const collect = (value: string, previous: string[]) => [...previous, value];
/** One lab run: long enough for a few timeouts of steady state at the lab's short timeouts. */
const VERIFY_BOUNDS = { unit: 's', minSeconds: 10, maxSeconds: 600 } as const;

export function planCommand(): Command {
  const command = new Command('plan').description(
    'size the table from the load: steady-state entries per flow class (Little’s law), the max, buckets and memory to set, and what a timeout or NOTRACK change would save',
  );
  addStateOptions(addNamespaceOptions(command))
    .option('--rate <rate>', 'new flows per second in all, e.g. 2000/s, 1.5k/s, 90000/min')
    .option('--mix <shares>', 'how --rate splits into classes, e.g. tcp-short=80%,udp-query=20%')
    .option(
      '--class <spec>',
      'a class with its own rate and life, e.g. tcp-short:1500/s:life=0.2s, or just udp-query with --rate (repeatable)',
      collect,
      [],
    )
    .option('--lifetime <lives>', 'flow life per protocol or class, e.g. tcp=120s,udp=30s')
    .option(
      '--try <change>',
      'what a change would do to the entries: tcp_timeout_time_wait=30 (any timeout) or notrack=53/udp:100% (repeatable)',
      collect,
      [],
    )
    .option(
      '--headroom <factor>',
      'recommended max = predicted entries × this',
      parsePositiveNumber('--headroom'),
      DEFAULT_HEADROOM,
    )
    .option(
      '--cpus <n>',
      "CPUs for kube-proxy's per-core rule (default: this machine's)",
      parseWholeNumber('--cpus'),
      availableParallelism(),
    )
    .option(
      '--from-live',
      "measure the load instead: NEW events by protocol and the live table's states and timers",
    )
    .option(
      '--seconds <seconds>',
      `with --from-live: how long to count NEW events ${durationRange(LIVE_BOUNDS)}`,
      parseDuration('--seconds', LIVE_BOUNDS),
      30,
    )
    .option(
      '--verify',
      "run the plan's load in a lab namespace (ctdoctor lab) at the recommended max and print predicted vs measured entries",
    )
    .option(
      '--verify-duration <seconds>',
      `with --verify: how long the lab runs ${durationRange(VERIFY_BOUNDS)}`,
      parseDuration('--verify-duration', VERIFY_BOUNDS),
      20,
    )
    .option(
      '--yes',
      'with --verify: proceed although the host tracks traffic (the lab sets the machine-wide max for the run)',
    );
  return actionWithExitCode(command, async (options: PlanOptions) => {
    const candidates = options.try.map(parseCandidateChange);
    if (options.fromLive && (options.rate || options.mix || options.class.length > 0))
      throw new CtdoctorError(
        'usage',
        '--from-live measures the load: drop --rate, --mix and --class (or drop --from-live)',
      );
    if (options.verify && options.netns !== undefined)
      throw new CtdoctorError(
        'usage',
        "--verify runs the load in a lab namespace of its own on this host's kernel: drop --netns",
      );
    // A stated load is checked before anything is read, so a typo costs nothing.
    const stated = options.fromLive ? null : statedLoad(options);
    const context = await openContext(options);
    const settings = dataOr(await conntrackSettings(context.files), null);
    const measured = stated ? null : await measureLoad(context, settings, options.seconds);
    const input: PlanInput = {
      load: stated ?? measured!.load,
      loadSource: measured?.source ?? { kind: 'stated' },
      timeouts: settings?.timeouts ?? {},
      kernel: context.facts.kernelVersion,
      entrySize: context.facts.entrySize,
      headroom: options.headroom,
      cpus: options.cpus,
      current: settings ? { count: settings.count, max: settings.max, buckets: settings.buckets } : null,
      netns: netnsIdentity(context.files.target),
      candidates,
    };
    if (options.verify) return verifyInLab(context, input, options);
    const plan = planCapacity(input);
    if (measured) plan.warnings.push(...measured.warnings);
    if (options.json) printJson(plan);
    else process.stdout.write(`${renderPlan(plan)}\n`);
    return EXIT.ok;
  });
}

function netnsIdentity(target: NetnsIdentity): NetnsIdentity {
  return { inode: target.inode, initial: target.initial, ...(target.name ? { name: target.name } : {}) };
}

interface MeasuredLoad {
  load: PlanInput['load'];
  source: Extract<PlanInput['loadSource'], { kind: 'live' }>;
  warnings: string[];
}

/** NEW events over `seconds`, then one pass over the table: the load by class (core/plan/liveLoad.ts). */
async function measureLoad(
  context: CommandContext,
  settings: ConntrackSettings | null,
  seconds: number,
): Promise<MeasuredLoad> {
  if (!context.netlinkAllowed)
    throw new CtdoctorError(
      'usage',
      `--from-live watches the running kernel's events, not the tree in --proc-root ${context.roots.procRoot}: drop --proc-root, or state the load (--rate, --class)`,
    );
  if (!settings)
    throw new CtdoctorError(
      'not-loaded',
      'nf_conntrack is not loaded or not readable in this namespace: nothing to measure (modprobe nf_conntrack), or state the load (--rate, --class)',
    );
  const counts = await countNewFlows(context.files, seconds);
  const timeouts = timeoutLookup(settings.timeouts);
  const profile = new TableProfile(counts.windowSeconds, timeouts);
  await scanTableProfile(await openLiveTable(context.files, context.roots, 'auto', true), profile);
  const { load, unexplained } = liveLoad(counts, profile, timeouts);
  const warnings: string[] = [];
  if (counts.lostWarnings > 0)
    warnings.push(
      `the kernel dropped conntrack events ${counts.lostWarnings} time(s) (ENOBUFS): the measured rates are low`,
    );
  for (const { name, entries } of unexplained)
    warnings.push(
      `${entries} ${name} entries in the table but no new ones in ${counts.windowSeconds.toFixed(0)} s: held longer than the window, not in the prediction (measure longer with --seconds)`,
    );
  if (profile.other > 0)
    warnings.push(`${profile.other} entries of other protocols (gre, sctp…) are not modelled`);
  const newPerSecond = (counts.tcp + counts.udp + counts.icmp) / counts.windowSeconds;
  if (load.length === 0)
    throw new CtdoctorError(
      'not-found',
      `no new flows in ${counts.windowSeconds.toFixed(0)} s here: nothing to size from (measure longer with --seconds, or state the load with --rate)`,
    );
  return {
    load,
    source: { kind: 'live', seconds: Number(counts.windowSeconds.toFixed(1)), newPerSecond },
    warnings,
  };
}

/**
 * `--verify`: the same load, as the lab's generators make it, under the lab's short timeouts (so
 * the table is steady in seconds) and at the max this plan recommends for them; the plan for those
 * timeouts and the measurement side by side.
 */
async function verifyInLab(context: CommandContext, input: PlanInput, options: PlanOptions): Promise<number> {
  const labTimeouts = { ...input.timeouts, ...LAB_SHORT_TIMEOUTS };
  const poolEntries = planCapacity(input).classes.find((row) => row.class === 'tcp-long')?.entries ?? 0;
  const workload = verifyWorkload(
    input.load,
    poolEntries,
    timeoutLookup(labTimeouts)('tcp_timeout_established'),
  );
  const plan = planCapacity({ ...input, load: workload.load, timeouts: labTimeouts });
  const { report, exitCode } = await runLabFromCli(context, {
    plan: {
      topology: 'single',
      generators: workload.generators,
      seconds: options.verifyDuration,
      baseTimeouts: { ...LAB_SHORT_TIMEOUTS },
      entryBytes: context.facts.entrySize.bytes,
    },
    tunings: [{ ...bareTuning(`max=${plan.recommended.max}`), max: plan.recommended.max }],
    scenarioTexts: workload.generators.map((spec) => spec.kind),
    consent: options.yes === true,
    state: options,
  });
  const verified = verifiedPlan(plan, report, workload.scale);
  if (options.json) printJson(verified);
  else process.stdout.write(`${renderVerifiedPlan(verified)}\n`);
  return exitCode;
}
