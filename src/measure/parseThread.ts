import { Worker } from 'node:worker_threads';
import { RECORD_BYTES } from '../core/analysis/tableEngine.js';
import { CtdoctorError } from '../core/errors.js';
import { tableEngineModule } from '../host/tableEngineModule.js';
import { INPUT_LAYOUT, type ParseThreadData, recordLayout } from './parsePipeline.js';
import { SlotRing } from './slotRing.js';

/**
 * The parse thread of a pipelined analysis and its two rings. A Node worker takes ~30 ms to start,
 * during which the main thread works alone; the CLI therefore starts one as soon as it sees an
 * analysis of a large dump coming (prestartParseThread), and the analysis takes it over.
 */
export class ParseThread {
  readonly input = SlotRing.create(INPUT_LAYOUT);
  readonly records = SlotRing.create(recordLayout(RECORD_BYTES));
  private readonly worker: Worker;
  private failure: Error | null = null;
  private finished = false;

  constructor(module: WebAssembly.Module) {
    const data: ParseThreadData = {
      module,
      recordBytes: RECORD_BYTES,
      input: { shared: this.input.shared, layout: this.input.layout },
      records: { shared: this.records.shared, layout: this.records.layout },
    };
    // Bundled (scripts/bundle-cli.mjs): one file loads faster than the modules it is made of.
    this.worker = new Worker(new URL('../measure/tableParseWorker.bundle.js', import.meta.url), {
      workerData: data,
    });
    this.worker.on('message', (message: { error?: string }) => {
      this.failure = new CtdoctorError('kernel', `analysis thread failed: ${message.error}`);
    });
    this.worker.once('error', (error) => {
      this.failure ??= new CtdoctorError('kernel', `analysis thread failed: ${error.message}`);
    });
    this.worker.once('exit', () => {
      if (!this.finished)
        this.failure ??= new CtdoctorError('kernel', 'analysis thread stopped before the end of the dump');
    });
    // Idle until an analysis takes it: it must not keep the process alive.
    this.worker.unref();
  }

  /** Up and waiting for input. */
  get started(): boolean {
    return this.records.started;
  }

  /** Why the thread can no longer deliver, or null. */
  failed(): Error | null {
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

let prestarted: ParseThread | null = null;

/** Starts a parse thread ahead of the analysis that will take it (no-op without the engine). */
export function prestartParseThread(): void {
  const module = tableEngineModule();
  if (prestarted || !module) return;
  prestarted = new ParseThread(module);
  // A run that ends without taking it (a usage error, a smaller plan) must not wait for its polls.
  process.once('exit', dropPrestartedParseThread);
}

/** The prestarted thread, or a new one. */
export function takeParseThread(module: WebAssembly.Module): ParseThread {
  const thread = prestarted ?? new ParseThread(module);
  prestarted = null;
  return thread;
}

/** Stops a prestarted thread that the analysis does not use. */
export function dropPrestartedParseThread(): void {
  prestarted?.stop();
  prestarted = null;
}
