import { Worker } from 'node:worker_threads';
import type { ServiceSignalsState } from '../core/analysis/tableEngine.js';
import { tableEngineModule } from './tableEngineModule.js';
import { ChunkPlan, INPUT_LAYOUT, type ParseThreadData, RECORD_LAYOUT } from './parsePipeline.js';
import { SlotRing } from './slotRing.js';

/**
 * The parse thread of a pipelined analysis and its two rings. A Node worker takes ~30 ms to start,
 * during which the main thread works alone; the CLI launcher therefore starts one before it even
 * loads the CLI when it sees an analysis of a large dump coming (src/cli/prestart.ts), and the
 * analysis takes it over (offerParseThread, takeParseThread). The launcher's copy of this class is
 * another bundle's: only its methods are used across, and failures travel as text.
 */
export class ParseThread {
  readonly plan = ChunkPlan.create();
  readonly input = SlotRing.create(INPUT_LAYOUT);
  readonly records = SlotRing.create(RECORD_LAYOUT);
  private readonly worker: Worker;
  private failure: string | null = null;
  private finished = false;
  private readonly services: Promise<ServiceSignalsState>;

  constructor(module: WebAssembly.Module) {
    const data: ParseThreadData = {
      module,
      plan: this.plan.shared,
      input: { shared: this.input.shared, layout: this.input.layout },
      records: { shared: this.records.shared, layout: this.records.layout },
    };
    // Bundled as CommonJS (scripts/bundle-cli.mjs): one file loads faster than the modules it is made
    // of, and a worker without ES modules starts sooner.
    this.worker = new Worker(new URL('../analysisRuntime/tableParseWorker.bundle.cjs', import.meta.url), {
      workerData: data,
    });
    const services = {} as {
      resolve: (signals: ServiceSignalsState) => void;
      reject: (error: Error) => void;
    };
    this.services = new Promise((resolve, reject) => Object.assign(services, { resolve, reject }));
    // Only awaited once the last record slot is in, by which time the thread has posted them.
    this.services.catch(() => {});
    this.worker.on('message', (message: { error?: string; services?: ServiceSignalsState }) => {
      if (message.services) services.resolve(message.services);
      else this.failure = `analysis thread failed: ${message.error}`;
    });
    this.worker.once('error', (error) => {
      this.failure ??= `analysis thread failed: ${error.message}`;
      services.reject(new Error(this.failure));
    });
    this.worker.once('exit', () => {
      if (!this.finished) this.failure ??= 'analysis thread stopped before the end of the dump';
      services.reject(new Error(this.failure ?? 'analysis thread ended without its service tallies'));
    });
    // Idle until an analysis takes it: it must not keep the process alive.
    this.worker.unref();
  }

  /** Up and waiting for input. */
  get started(): boolean {
    return this.records.started;
  }

  /** Blocks at most `ms` until the thread is up; whether it is. */
  waitStarted(ms: number): boolean {
    return this.records.waitStarted(ms);
  }

  /** The service tallies the thread counted (ChunkPlan.setUp asked it to), once it has posted them. */
  serviceSignals(): Promise<ServiceSignalsState> {
    return this.services;
  }

  /** Why the thread can no longer deliver, or null. */
  failed(): string | null {
    return this.failure;
  }

  /** An analysis depends on it now: the process waits for it. */
  use(): void {
    this.worker.ref();
  }

  /** The last record slot has been read: the thread ends by itself. */
  finish(): void {
    this.finished = true;
    this.worker.unref();
  }

  /** Stops the thread wherever it is (an error on either side, or it was never needed). */
  stop(): void {
    this.finished = true;
    this.input.abort();
    this.records.abort();
    void this.worker.terminate();
  }
}

let offered: ParseThread | null = null;

/**
 * Starts a parse thread ahead of the analysis that will take it; null without the engine. It is
 * stopped when the process exits, in case nothing takes it (a usage error, another plan).
 */
export function prestartParseThread(): ParseThread | null {
  const module = tableEngineModule();
  if (!module) return null;
  const thread = new ParseThread(module);
  process.once('exit', () => thread.stop());
  return thread;
}

/** Hands a prestarted thread to the next pipelined analysis. */
export function offerParseThread(thread: ParseThread): void {
  offered = thread;
}

/** The offered thread (`prestarted`), or a new one. */
export function takeParseThread(module: WebAssembly.Module): { thread: ParseThread; prestarted: boolean } {
  const thread = offered ?? new ParseThread(module);
  const prestarted = offered !== null;
  offered = null;
  return { thread, prestarted };
}

/** Stops an offered thread that the analysis does not use. */
export function dropOfferedParseThread(): void {
  offered?.stop();
  offered = null;
}
