import type { ConntrackStats } from '../counters.js';
import type { GeneratorDone, PoolOutcome } from './generatorReport.js';
import type { GeneratorKind, GeneratorSpec } from './labScenarios.js';
import type { LabTuning } from './labTuning.js';
import type { LabTopology } from './routerTopology.js';
import { mergeHistograms, quantileMs, sampleCount } from './latencyHistogram.js';

/** One reading of the lab namespace's stat file. */
export interface CounterSample {
  atSeconds: number;
  /** nf_conntrack_count: what the max is checked against (expired entries count until reaped). */
  entries: number;
  drop: number;
  earlyDrop: number;
  insertFailed: number;
  /** Expectations helpers created (expect_create), counted since the namespace was made. */
  expectCreate: number;
}

/** The lab's reading of a parsed stat file (parseStatFile) taken `atSeconds` into the run. */
export function counterSample(stats: ConntrackStats, atSeconds: number): CounterSample {
  return {
    atSeconds,
    entries: stats.entries ?? 0,
    drop: stats.totals.drop ?? 0,
    earlyDrop: stats.totals.early_drop ?? 0,
    insertFailed: stats.totals.insert_failed ?? 0,
    expectCreate: stats.totals.expect_create ?? 0,
  };
}

/** Entries a dump lists (expired ones are skipped): the live table. */
export interface LiveSample {
  atSeconds: number;
  entries: number;
  /** Entries the dump shows with a helper (helper=NAME). */
  helperEntries: number;
  /** Lines of the namespace's nf_conntrack_expect: expectations waiting for their related flow. */
  expectations: number;
}

/** A reading of the live table: `conntrack -L`'s text and the namespace's nf_conntrack_expect. */
export function liveSampleOf(atSeconds: number, dump: string, expectations: string): LiveSample {
  const lines = dump.split('\n').filter(Boolean);
  return {
    atSeconds,
    entries: lines.length,
    helperEntries: lines.filter((line) => line.includes(' helper=')).length,
    expectations: expectations.split('\n').filter(Boolean).length,
  };
}

export interface RunMeasurements {
  tuning: LabTuning;
  netns: string;
  /** The settings the run really had (read back from the kernel). */
  settings: { max: number; buckets: number; timeouts: Record<string, number> };
  seconds: number;
  /** Where the steady state is taken from: after the longest timeout that holds a finished flow. */
  steadyFromSeconds: number;
  counters: CounterSample[];
  live: LiveSample[];
  generators: GeneratorDone[];
  asked: GeneratorSpec[];
  softirqPercent: number | null;
  resize: {
    fromBuckets: number;
    toBuckets: number;
    stallMs: number;
    entries: number;
    atSeconds: number;
  } | null;
  entryBytes: number;
  interrupted: boolean;
}

export interface TimelinePoint {
  t: number;
  entries: number;
  /** Drops (drop + early_drop + insert_failed) since the run began. */
  drops: number;
  live?: number;
}

export interface GeneratorResult {
  kind: GeneratorKind;
  askedRatePerSecond: number;
  achievedRatePerSecond: number;
  attempts: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
}

export interface TuningResult {
  label: string;
  tuning: LabTuning;
  netns: string;
  settings: RunMeasurements['settings'];
  seconds: number;
  interrupted: boolean;
  generators: GeneratorResult[];
  drops: { drop: number; earlyDrop: number; insertFailed: number; total: number };
  /** ok / attempts of the flows that expect an answer (connects, queries); null when none do. */
  successRatio: number | null;
  failedConnects: number;
  setupMs: { p50: number; p99: number; samples: number } | null;
  peakEntries: number;
  memoryAtPeakBytes: number;
  /** Means over the steady part of the run; null when the run ended before it. */
  steady: { fromSeconds: number; liveEntries: number | null; countEntries: number } | null;
  longPool: PoolOutcome | null;
  /** What the tuning's helpers did: entries they tracked and expectations they set up (0 without helpers). */
  helpers: { entriesPeak: number; expectationsPeak: number; expectationsCreated: number };
  resize: RunMeasurements['resize'];
  softirqPercent: number | null;
  timeline: TimelinePoint[];
}

/** Kinds whose every flow expects an answer; a flood's datagrams and a scan's SYNs expect none. */
const ANSWERED_KINDS: ReadonlySet<GeneratorKind> = new Set([
  'short-flows',
  'long-pool',
  'udp-dns',
  'nat-service',
]);
const CONNECT_KINDS: ReadonlySet<GeneratorKind> = new Set(['short-flows', 'long-pool']);

const mean = (values: readonly number[]) =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;

/** drop + early_drop + insert_failed: every way a new flow was lost. */
export const lossOf = (sample: CounterSample) => sample.drop + sample.earlyDrop + sample.insertFailed;

/**
 * Zero drops, every answered flow answered and every pool connection alive: a tuning that held the
 * load. Success counts too: a helper that cannot add its expectation drops the packet without
 * touching the drop counters.
 */
export function heldTheLoad(run: TuningResult): boolean {
  return (
    run.drops.total === 0 &&
    (run.successRatio === null || run.successRatio === 1) &&
    (!run.longPool || run.longPool.survived === run.longPool.wanted)
  );
}

/** The loss counters' rise from the first reading to the last. */
function dropsOf(counters: readonly CounterSample[]): TuningResult['drops'] {
  const first = counters[0];
  const last = counters[counters.length - 1];
  if (!first || !last) return { drop: 0, earlyDrop: 0, insertFailed: 0, total: 0 };
  return {
    drop: last.drop - first.drop,
    earlyDrop: last.earlyDrop - first.earlyDrop,
    insertFailed: last.insertFailed - first.insertFailed,
    total: lossOf(last) - lossOf(first),
  };
}

function expectationsCreated(counters: readonly CounterSample[]): number {
  const first = counters[0];
  const last = counters[counters.length - 1];
  return first && last ? last.expectCreate - first.expectCreate : 0;
}

function generatorResult(run: RunMeasurements, done: GeneratorDone): GeneratorResult {
  const asked = run.asked.find((spec) => spec.kind === done.kind);
  return {
    kind: done.kind,
    askedRatePerSecond: asked?.ratePerSecond ?? 0,
    achievedRatePerSecond: done.seconds > 0 ? done.attempts / done.seconds : 0,
    attempts: done.attempts,
    ok: done.ok,
    failed: done.failed,
    errors: done.errors,
  };
}

export function summarizeRun(run: RunMeasurements): TuningResult {
  const drops = dropsOf(run.counters);
  const answered = run.generators.filter((done) => ANSWERED_KINDS.has(done.kind));
  const attempts = answered.reduce((sum, done) => sum + done.attempts, 0);
  const ok = answered.reduce((sum, done) => sum + done.ok, 0);
  const latency = mergeHistograms(run.generators.map((done) => done.latency));
  const samples = sampleCount(latency);
  const peakEntries = Math.max(0, ...run.counters.map((sample) => sample.entries));
  const steadyCounts = run.counters.filter((sample) => sample.atSeconds >= run.steadyFromSeconds);
  const steadyLive = run.live.filter((sample) => sample.atSeconds >= run.steadyFromSeconds);
  const countMean = mean(steadyCounts.map((sample) => sample.entries));
  return {
    label: run.tuning.label,
    tuning: run.tuning,
    netns: run.netns,
    settings: run.settings,
    seconds: run.seconds,
    interrupted: run.interrupted,
    generators: run.generators.map((done) => generatorResult(run, done)),
    drops,
    successRatio: attempts > 0 ? ok / attempts : null,
    failedConnects: run.generators
      .filter((done) => CONNECT_KINDS.has(done.kind))
      .reduce((sum, done) => sum + done.failed, 0),
    setupMs:
      samples > 0 ? { p50: quantileMs(latency, 0.5)!, p99: quantileMs(latency, 0.99)!, samples } : null,
    peakEntries,
    memoryAtPeakBytes: peakEntries * run.entryBytes,
    steady:
      countMean === null
        ? null
        : {
            fromSeconds: run.steadyFromSeconds,
            liveEntries: mean(steadyLive.map((sample) => sample.entries)),
            countEntries: countMean,
          },
    longPool: run.generators.find((done) => done.pool)?.pool ?? null,
    helpers: {
      entriesPeak: Math.max(0, ...run.live.map((sample) => sample.helperEntries)),
      expectationsPeak: Math.max(0, ...run.live.map((sample) => sample.expectations)),
      expectationsCreated: expectationsCreated(run.counters),
    },
    resize: run.resize,
    softirqPercent: run.softirqPercent,
    timeline: timeline(run),
  };
}

/** One point per counter sample, at most every 0.5 s, the live dump's reading where one was taken. */
function timeline(run: RunMeasurements): TimelinePoint[] {
  const base = run.counters[0] ? lossOf(run.counters[0]) : 0;
  const points: TimelinePoint[] = [];
  let nextAt = 0;
  for (const sample of run.counters) {
    if (sample.atSeconds < nextAt) continue;
    nextAt = sample.atSeconds + 0.5;
    const live = run.live.find((item) => Math.abs(item.atSeconds - sample.atSeconds) < 0.5);
    points.push({
      t: Number(sample.atSeconds.toFixed(2)),
      entries: sample.entries,
      drops: lossOf(sample) - base,
      ...(live ? { live: live.entries } : {}),
    });
  }
  return points;
}

/** The whole `ctdoctor lab` answer: what ran, under what, and a row per tuning. */
export interface LabReport {
  schema: 'ctdoctor.lab/v1';
  kernel: string;
  startedAt: string;
  scenario: { texts: string[]; generators: GeneratorSpec[] };
  /** Where the load ran; the measured table is the single namespace's or the router's. */
  topology: LabTopology;
  seconds: number;
  /** The lab namespace's timeouts before each tuning's own, with the kernel's for comparison. */
  baseTimeouts: { name: string; seconds: number; kernelDefault: number | null }[];
  host: { count: number; max: number; buckets: number };
  /** Machine-wide values the run changed, and whether each was put back. */
  globalChanges: { setting: 'max' | 'buckets'; original: number; restored: boolean }[];
  entryBytes: number;
  runs: TuningResult[];
  interrupted: boolean;
  warnings: string[];
}
