import { parseKmsgRecord } from '../core/doctor/kernelLog.js';
import { type TableFullArrivals, attributeTableFull, tallyTableFull } from '../core/tableFullAttribution.js';
import { KernelLogFollower } from '../host/kernelLogFollower.js';
import type { CollectorOutcome, ServeSample } from './serveSample.js';

export const KERNEL_LOG_COLLECTOR = 'kernel log';

/** A sample's arrivals, or why the kernel log could not be read. */
type Read = { ok: true; arrivals: TableFullArrivals } | { ok: false; message: string };

/**
 * Counts the kernel's "table full, dropping packet" messages per namespace while serve runs:
 * `beforeSample` reads what the kernel logged since the previous sample (before the counters are
 * read, so that a message read has its drop in the counters read after it), `afterSample` gives
 * each namespace of the sample its cumulative count and the collector's outcome.
 */
export class TableFullCounter {
  private readonly follower = new KernelLogFollower();
  private readonly totals = new Map<number, number>();
  private pendingSuppressed = 0;
  private kernelNamesNamespaces = false;
  private previousDrops = new Map<number, number>();
  private droppedLastSample = new Set<number>();
  private pending: { read: Read; durationSeconds: number } | undefined;

  beforeSample(): void {
    const started = performance.now();
    let read: Read;
    try {
      const messages = this.follower.readNew().flatMap((raw) => parseKmsgRecord(raw, 0)?.message ?? []);
      const tallied = tallyTableFull(messages, this.pendingSuppressed);
      this.pendingSuppressed = tallied.pendingSuppressed;
      read = { ok: true, arrivals: withUnattributed(tallied.arrivals, this.pending?.read) };
    } catch (error) {
      read = { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    this.pending = { read, durationSeconds: (performance.now() - started) / 1000 };
  }

  /** Fills `tableFullMessages` of every namespace in `sample` and adds the collector's outcome. */
  afterSample(sample: ServeSample): void {
    const pending = this.pending;
    this.pending = undefined;
    const droppingNow = this.risenDrops(sample);
    if (pending?.read.ok) {
      const { arrivals } = pending.read;
      if (arrivals.named.size > 0) this.kernelNamesNamespaces = true;
      const counts = attributeTableFull(arrivals, {
        initialInode: sample.namespaces.find((reading) => reading.initial)?.inode,
        kernelNamesNamespaces: this.kernelNamesNamespaces,
        dropping: [...new Set([...droppingNow, ...this.droppedLastSample])],
      });
      for (const [inode, count] of counts) this.totals.set(inode, (this.totals.get(inode) ?? 0) + count);
    }
    this.droppedLastSample = new Set(droppingNow);
    const present = new Set(sample.namespaces.map((reading) => reading.inode));
    // A namespace that went is forgotten: a new one reusing its inode starts from 0.
    for (const inode of this.totals.keys()) if (!present.has(inode)) this.totals.delete(inode);
    for (const reading of sample.namespaces) reading.tableFullMessages = this.totals.get(reading.inode) ?? 0;
    if (pending) sample.collectors.push(outcomeOf(pending));
  }

  /** Namespaces whose drop counter rose since the previous sample. */
  private risenDrops(sample: ServeSample): number[] {
    const risen: number[] = [];
    const drops = new Map<number, number>();
    for (const reading of sample.namespaces) {
      const drop = reading.counters.drop;
      if (drop === undefined) continue;
      drops.set(reading.inode, drop);
      const before = this.previousDrops.get(reading.inode);
      if (before !== undefined && drop > before) risen.push(reading.inode);
    }
    this.previousDrops = drops;
    return risen;
  }

  close(): void {
    this.follower.close();
  }
}

/** Messages read before a sample that then failed are kept for the next one, not lost. */
function withUnattributed(arrivals: TableFullArrivals, earlier: Read | undefined): TableFullArrivals {
  if (!earlier?.ok) return arrivals;
  const named = new Map(earlier.arrivals.named);
  for (const [inode, count] of arrivals.named) named.set(inode, (named.get(inode) ?? 0) + count);
  return { named, unnamed: earlier.arrivals.unnamed + arrivals.unnamed };
}

function outcomeOf({ read, durationSeconds }: { read: Read; durationSeconds: number }): CollectorOutcome {
  return {
    collector: KERNEL_LOG_COLLECTOR,
    ok: read.ok,
    durationSeconds,
    message: read.ok ? undefined : read.message,
  };
}
