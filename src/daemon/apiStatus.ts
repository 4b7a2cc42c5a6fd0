import { type CounterTotals, LOSS_COUNTERS } from '../core/counters.js';
import { namespaceMemoryBytes } from '../core/memory.js';
import { DEFAULT_THRESHOLDS, type StatusThresholds, type Verdict } from '../core/status.js';
import { judgeNamespace } from './namespaceVerdicts.js';
import type { CollectorOutcome, NamespaceReading, ServeSample } from './serveSample.js';

export type LossCounter = (typeof LOSS_COUNTERS)[number];

/** One namespace now, judged as `status` judges it. */
export interface NamespaceStatus {
  netns: number;
  initial: boolean;
  name: string | null;
  entries: number;
  max: number;
  buckets: number;
  usage: number;
  /** null while the slab entry size is unknown (the first sample failed to read host facts). */
  memoryBytes: number | null;
  /** Per second over the last `rateSeconds`; null on a namespace's first sample or without counters. */
  lossPerSecond: Record<LossCounter, number> | null;
  rateSeconds: number | null;
  tableFullMessages: number;
  verdict: Verdict;
  reasons: string[];
}

export interface ServeStatusBody {
  schema: 'ctdoctor.serve-status/v1';
  takenAtMs: number;
  /** The configured time between samples: how often the dashboard asks again. */
  intervalSeconds: number;
  sampleDurationSeconds: number;
  entryBytes: number | null;
  thresholds: StatusThresholds;
  namespaces: NamespaceStatus[];
  collectors: { collector: string; ok: boolean; durationSeconds: number; message: string | null }[];
}

function lossOf(rates: CounterTotals): Record<LossCounter, number> {
  return Object.fromEntries(LOSS_COUNTERS.map((name) => [name, rates[name] ?? 0])) as Record<
    LossCounter,
    number
  >;
}

function namespaceStatus(
  reading: NamespaceReading,
  before: NamespaceReading | undefined,
  seconds: number,
  entryBytes: number | null,
  thresholds: StatusThresholds,
): NamespaceStatus {
  const { usage, rates, verdict, reasons } = judgeNamespace(reading, before, seconds, thresholds);
  return {
    netns: reading.inode,
    initial: reading.initial,
    name: reading.name ?? null,
    entries: reading.entries,
    max: reading.max,
    buckets: reading.buckets,
    usage,
    memoryBytes: entryBytes === null ? null : namespaceMemoryBytes(reading.entries, entryBytes),
    lossPerSecond: rates ? lossOf(rates) : null,
    rateSeconds: rates ? seconds : null,
    tableFullMessages: reading.tableFullMessages,
    verdict,
    reasons,
  };
}

function collectorStatus(outcome: CollectorOutcome): ServeStatusBody['collectors'][number] {
  return { ...outcome, message: outcome.message ?? null };
}

/**
 * Every namespace of the latest sample, its loss rates over the interval since `previous` (the
 * sample before it), and the verdict `status` would give it with the same thresholds.
 */
export function serveStatusBody(
  latest: ServeSample,
  previous: ServeSample | undefined,
  intervalSeconds: number,
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
): ServeStatusBody {
  const before = new Map(previous?.namespaces.map((reading) => [reading.inode, reading]));
  const seconds = previous ? (latest.takenAtMs - previous.takenAtMs) / 1000 : 0;
  const entryBytes = latest.entrySize?.bytes ?? null;
  return {
    schema: 'ctdoctor.serve-status/v1',
    takenAtMs: latest.takenAtMs,
    intervalSeconds,
    sampleDurationSeconds: latest.durationSeconds,
    entryBytes,
    thresholds,
    namespaces: latest.namespaces.map((reading) =>
      namespaceStatus(reading, before.get(reading.inode), seconds, entryBytes, thresholds),
    ),
    collectors: latest.collectors.map(collectorStatus),
  };
}
