import type { KernelVersion } from '../kernelInfo.js';
import type { EntrySize } from '../memory.js';
import { tableMemoryBytes } from '../memory.js';
import type { NetnsIdentity } from '../status.js';
import { type CandidateChange, type CandidateEffect, effectOf } from './candidateChanges.js';
import { KUBE_PROXY_DEFAULTS, kubeProxyTargetMax } from './kubeProxy.js';
import {
  type ClassLoad,
  type ClassRow,
  classRows,
  GC_SCAN_INTERVAL_MAX_SECONDS,
  countUpToEntries,
  recommendedMax,
  timeoutLookup,
  totalEntries,
  totalRate,
} from './steadyStateEntries.js';
import { bucketsForMax } from './tableSizing.js';

/**
 * Headroom over the predicted mean: Little's law gives the average count of a steady load, and the
 * table must also hold the day's peak, a retry storm that doubles the rate for a minute, and stay
 * below the 95 % at which the kernel's GC starts evicting (KERNEL-FACTS "When full"). 2× is what
 * `mitigate` uses and the usual "2× your expected peak" advice (ANCHORS-WAVE2 §9.1).
 */
export { DEFAULT_HEADROOM } from './mitigationPlan.js';

export interface PlanInput {
  load: ClassLoad[];
  loadSource: { kind: 'stated' } | { kind: 'live'; seconds: number; newPerSecond: number };
  /** The namespace's timeouts by short name (what it runs with); kernel defaults fill any gap. */
  timeouts: Readonly<Record<string, number>>;
  kernel: KernelVersion;
  entrySize: EntrySize;
  headroom: number;
  cpus: number;
  current: { count: number; max: number; buckets: number } | null;
  netns: NetnsIdentity;
  candidates: CandidateChange[];
}

export interface CapacityPlan {
  schema: 'ctdoctor.plan/v1';
  netns: NetnsIdentity;
  kernel: string;
  load: PlanInput['loadSource'] & { ratePerSecond: number };
  classes: ClassRow[];
  predicted: {
    /** Steady-state live entries: Σ rate × time held (Little's law). */
    entries: number;
    /** The most nf_conntrack_count reads: + expired entries awaiting the GC pass (≤ 60 s of expiries). */
    countUpToEntries: number;
    /** 2 × entries / recommended buckets: each entry is hashed twice (original and reply). */
    meanChainLength: number;
  };
  recommended: {
    max: number;
    buckets: number;
    headroom: number;
    bucketsRule: string;
    memoryBytes: number;
    entryBytes: number;
    entryBytesSource: EntrySize['source'];
    /** Chains when the table is full at the recommended max. */
    meanChainLengthAtMax: number;
  };
  current: { count: number; max: number; buckets: number; coversPrediction: boolean } | null;
  kubeProxy: {
    max: number;
    buckets: number;
    cpus: number;
    maxPerCore: number;
    min: number;
    why: string;
  };
  tries: CandidateEffect[];
  /** The commands that make the recommendation so, in order. */
  commands: string[];
  reasons: string[];
  warnings: string[];
}

export function planCapacity(input: PlanInput): CapacityPlan {
  const timeoutSeconds = timeoutLookup(input.timeouts);
  const classes = classRows(input.load, timeoutSeconds);
  const entries = totalEntries(classes);
  const ratePerSecond = totalRate(input.load);
  const countUpTo = countUpToEntries(entries, ratePerSecond);
  const max = recommendedMax(entries, ratePerSecond, input.headroom);
  const buckets = bucketsForMax(input.kernel, max);
  const memoryBytes = tableMemoryBytes(max, buckets, input.entrySize.bytes);
  const kubeProxy = kubeProxyComparison(input, max, entries);
  const bucketsRule =
    buckets === max
      ? `1 bucket per entry, this kernel's rule (${input.kernel.release}, since 5.15)`
      : `max / 4, this kernel's rule (${input.kernel.release}, before 5.15)`;
  return {
    schema: 'ctdoctor.plan/v1',
    netns: input.netns,
    kernel: input.kernel.release,
    load: { ...input.loadSource, ratePerSecond },
    classes,
    predicted: { entries, countUpToEntries: countUpTo, meanChainLength: (2 * entries) / buckets },
    recommended: {
      max,
      buckets,
      headroom: input.headroom,
      bucketsRule,
      memoryBytes,
      entryBytes: input.entrySize.bytes,
      entryBytesSource: input.entrySize.source,
      meanChainLengthAtMax: (2 * max) / buckets,
    },
    current: input.current ? { ...input.current, coversPrediction: input.current.max >= max } : null,
    kubeProxy,
    tries: input.candidates.map((candidate) =>
      effectOf(candidate, input.load, input.timeouts, entries, input.headroom),
    ),
    commands: [
      `ctdoctor mitigate --max ${max} --buckets ${buckets} --apply`,
      `ctdoctor persist --max ${max} --buckets ${buckets} --apply`,
    ],
    reasons: planReasons(classes, entries, countUpTo, max, input.headroom),
    warnings: planWarnings(input, classes, max),
  };
}

function kubeProxyComparison(input: PlanInput, max: number, entries: number): CapacityPlan['kubeProxy'] {
  // Its defaults: a node's kube-proxy may run with other flags (ctdoctor persist shows them).
  const config = { ...KUBE_PROXY_DEFAULTS, source: 'kube-proxy defaults' };
  const kubeMax = kubeProxyTargetMax(config, input.cpus) ?? 0;
  // kube-proxy raises hashsize to max / 4 and never lowers it (pkg/proxy/conntrack).
  const kubeBuckets = Math.max(Math.ceil(kubeMax / 4), input.current?.buckets ?? 0);
  const rule = `${config.maxPerCore} per core × ${input.cpus} CPUs, at least ${config.min}`;
  let why: string;
  if (kubeMax >= max)
    why = `${rule}, sized by CPUs, not by the load: ${(kubeMax / Math.max(entries, 1)).toFixed(1)}× the predicted entries, more than this plan's ${input.headroom}× (memory reserved, not used)`;
  else
    why = `${rule}, sized by CPUs, not by the load: ${kubeMax < entries ? 'below the predicted steady state, so the table would fill' : `${(kubeMax / Math.max(entries, 1)).toFixed(2)}× the predicted live entries, below this plan's ${max}`}. kube-proxy resets the max on every start: set --conntrack-max-per-core (conntrack.maxPerCore) to ${Math.ceil(max / Math.max(1, input.cpus))} for this plan`;
  return {
    max: kubeMax,
    buckets: kubeBuckets,
    cpus: input.cpus,
    maxPerCore: config.maxPerCore,
    min: config.min,
    why,
  };
}

function formatShare(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

function planReasons(
  classes: ClassRow[],
  entries: number,
  countUpTo: number,
  max: number,
  headroom: number,
): string[] {
  const byGc = countUpTo > entries * headroom;
  const reasons = [
    `entries = Σ new flows/s × seconds held (Little's law); held = life + the timeout of the final state, read from this namespace`,
    `expired entries count against the max until the GC worker's next pass (at most ${GC_SCAN_INTERVAL_MAX_SECONDS} s): the count can read up to ${Math.round(countUpTo)}`,
    byGc
      ? `max ${max}: the count's peak ${Math.round(countUpTo)} is above ${Math.round(entries)} live × headroom ${headroom} (short timeouts), rounded up to a power-of-two-friendly size (2^k or 1.5 × 2^k)`
      : `max ${max}: ${Math.round(entries)} predicted × headroom ${headroom}, rounded up to a power-of-two-friendly size (2^k or 1.5 × 2^k)`,
  ];
  const biggest = [...classes].sort((a, b) => b.entries - a.entries)[0];
  if (biggest && biggest.share >= 0.5 && biggest.lifeSeconds < biggest.finalTimeout.seconds)
    reasons.push(
      `${biggest.class} holds ${formatShare(biggest.share)} of the entries, mostly waiting out ${biggest.finalTimeout.name} (${biggest.finalTimeout.seconds} s) after the flow ended: a shorter timeout shrinks the table more than a bigger max helps (try --try ${biggest.finalTimeout.name}=N)`,
    );
  return reasons;
}

function planWarnings(input: PlanInput, classes: ClassRow[], max: number): string[] {
  const warnings: string[] = [];
  if (input.current && input.current.max < max)
    warnings.push(
      `the current max ${input.current.max} is below the recommended ${max}: at this load the table would run at ${formatShare(totalEntries(classes) / input.current.max)} of it`,
    );
  const missing = [...new Set(classes.map((row) => row.finalTimeout.name))].filter(
    (name) => input.timeouts[name] === undefined,
  );
  if (missing.length > 0)
    warnings.push(`timeouts not readable here, kernel defaults used: ${missing.join(', ')}`);
  if (input.entrySize.source === 'estimate')
    warnings.push(
      `entry size ${input.entrySize.bytes} B is an estimate (/proc/slabinfo unreadable or no nf_conntrack cache yet): run as root for the measured size`,
    );
  return warnings;
}
