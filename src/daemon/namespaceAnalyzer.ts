import { Worker } from 'node:worker_threads';
import type { Finding } from '../core/analysis/findings.js';
import type { NetnsTarget } from '../host/netns.js';
import type { HostRoots } from '../host/roots.js';
import type { NamespaceFindings } from './namespaceFindings.js';
import type { ServeSample } from './serveSample.js';

/** What the worker gets for one round (structured-cloned). */
export interface AnalysisRoundData {
  targets: NetnsTarget[];
  roots: HostRoots;
  netlinkAllowed: boolean;
  capacity: number;
  top: number;
}

/** One namespace's result, posted by the worker as soon as it is ready. */
export type NamespaceAnalysisMessage =
  | { netns: number; ok: true; entries: number; findings: Finding[]; durationSeconds: number }
  | { netns: number; ok: false; message: string };

/** `analyze`'s defaults: the findings are the ones an operator running it would see. */
const ANALYSIS_CAPACITY = 32_768;
const ANALYSIS_TOP = 10;

export interface AnalyzerOptions {
  intervalSeconds: number;
  minEntries: number;
  roots: HostRoots;
  netlinkAllowed: boolean;
  log: (line: string) => void;
}

/**
 * The --analyze-interval worker: every interval, the table of each namespace with at least
 * --analyze-min-entries entries is analysed as `analyze --netns` would, fullest first, one at a time,
 * in a worker thread (a 100k-entry table keeps a thread busy for a while: never the event loop that
 * answers scrapes). A round never overlaps the previous one: a round still running when the next is
 * due makes that one wait. Only the latest findings of each namespace are kept, and dropped when
 * it disappears or falls below the threshold (they describe a table no longer there).
 */
export class NamespaceAnalyzer {
  private readonly latest = new Map<number, NamespaceFindings>();
  private readonly failing = new Set<number>();
  private worker: Worker | undefined;
  private lastRoundStartMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: AnalyzerOptions) {}

  findings(): ReadonlyMap<number, NamespaceFindings> {
    return this.latest;
  }

  /** After each sample: forgets what went, and starts a round when one is due and none runs. */
  afterSample(sample: ServeSample, targetOf: (inode: number) => NetnsTarget | undefined): void {
    const eligible = sample.namespaces
      .filter((reading) => reading.entries >= this.options.minEntries)
      .sort((a, b) => b.entries - a.entries);
    const kept = new Set(eligible.map((reading) => reading.inode));
    for (const inode of this.latest.keys()) if (!kept.has(inode)) this.latest.delete(inode);
    const due = Date.now() - this.lastRoundStartMs >= this.options.intervalSeconds * 1000;
    if (this.worker || !due || eligible.length === 0) return;
    const targets = eligible.flatMap((reading) => targetOf(reading.inode) ?? []);
    this.lastRoundStartMs = Date.now();
    this.run(targets, kept);
  }

  private run(targets: NetnsTarget[], kept: Set<number>): void {
    const data: AnalysisRoundData = {
      targets,
      roots: this.options.roots,
      netlinkAllowed: this.options.netlinkAllowed,
      capacity: ANALYSIS_CAPACITY,
      top: ANALYSIS_TOP,
    };
    // From the bundle (dist/src/cli/) and from dist/src/daemon/ alike, ../daemon/ is this folder.
    const worker = new Worker(new URL('../daemon/analysisThread.js', import.meta.url), { workerData: data });
    this.worker = worker;
    worker.on('message', (message: NamespaceAnalysisMessage) => this.record(message, kept));
    worker.once('error', (error) => this.options.log(`analysis worker failed: ${error.message}`));
    worker.once('exit', () => {
      this.worker = undefined;
    });
  }

  private record(message: NamespaceAnalysisMessage, kept: Set<number>): void {
    if (!message.ok) {
      if (!this.failing.has(message.netns))
        this.options.log(`analysis of netns ${message.netns} failed: ${message.message}`);
      this.failing.add(message.netns);
      return;
    }
    if (this.failing.delete(message.netns)) this.options.log(`analysis of netns ${message.netns} recovered`);
    if (!kept.has(message.netns)) return;
    this.latest.set(message.netns, {
      netns: message.netns,
      analyzedAtMs: Date.now(),
      durationSeconds: message.durationSeconds,
      entries: message.entries,
      findings: message.findings,
    });
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}
