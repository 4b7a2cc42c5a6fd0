import { Worker } from 'node:worker_threads';
import { CtdoctorError } from '../core/errors.js';

const CHUNK_BYTES = 1 << 20;
/**
 * Chunks the reader may run ahead of the parser: 16 MiB, ~0.1 s of the kernel's dump, so that a
 * reader the launcher started keeps reading while the CLI loads.
 */
const MAX_IN_FLIGHT = 16;

type ChunkMessage = { chunk: Uint8Array; length: number } | { done: true; lines: number } | { error: string };
type ReaderMessage = ChunkMessage | { opened: true };

/**
 * Streams a /proc file read by a dedicated thread. seq_file hands out about one page per read(),
 * so /proc/net/nf_conntrack of 1M entries takes ~40k reads: done asynchronously each costs a
 * thread-pool round trip (measured 2.9–3.2 s vs 1.8 s with blocking reads). A reader thread doing
 * blocking reads overlaps the kernel's dump with parsing on the main thread. A thread the launcher
 * started for this file (prestartTableReader) is taken over.
 */
export function readProcInThread(path: string): AsyncGenerator<Buffer> {
  const prestarted = offered?.path === path ? offered : null;
  if (prestarted) offered = null;
  return chunksOf(prestarted ?? startReader(path));
}

/** A tool's output as it comes, and how many lines it held once the chunks have ended. */
export interface ToolOutput {
  chunks: AsyncGenerator<Buffer>;
  linesRead: () => number;
}

/**
 * The same reader thread on a FIFO: `onOpened` runs once the read end exists, so the writer can open
 * its end and start; the thread then drains the FIFO as fast as the writer fills it.
 */
export function chunksFromFifo(path: string, onOpened: () => void): ToolOutput {
  return toolOutput(startReader(path, { kind: 'fifo', onOpened }));
}

/**
 * The same reader thread on a regular file that another process is still writing: `onOpened` runs
 * once the thread holds the file open; the thread reads what has been written, waits for more,
 * and ends at the end of the file once `writerDone` has been called.
 */
export function chunksFromGrowingFile(
  path: string,
  onOpened: () => void,
): ToolOutput & { writerDone: () => void } {
  const done = new Int32Array(new SharedArrayBuffer(4));
  return {
    ...toolOutput(startReader(path, { kind: 'growing', onOpened, done })),
    writerDone: () => {
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
    },
  };
}

function toolOutput(reader: ReaderThread): ToolOutput {
  return { chunks: chunksOf(reader), linesRead: () => reader.linesRead };
}

type Writer =
  | { kind: 'fifo'; onOpened: () => void }
  | { kind: 'growing'; onOpened: () => void; done: Int32Array };

/**
 * A reader thread and what it has sent so far. Plain fields only: the launcher's bundle starts one
 * and the CLI's bundle, with its own copy of this code, reads it.
 */
export interface ReaderThread {
  readonly path: string;
  readonly worker: Worker;
  /** Chunks sent and not yet given back; the thread waits while MAX_IN_FLIGHT are out. */
  readonly window: Int32Array;
  readonly queue: ChunkMessage[];
  wake: (() => void) | null;
  failure: Error | null;
  /** Lines in what a tool wrote (a FIFO's or growing file's writer), once the reader is done; else 0. */
  linesRead: number;
}

let offered: ReaderThread | null = null;

/**
 * Starts reading the live table before the CLI has loaded (the launcher, for `analyze` of this
 * namespace's table: prestart.ts); the analysis takes it over through readProcInThread. Until then
 * it does not keep the process alive, and a thread nobody takes is stopped at exit.
 */
export function prestartTableReader(path: string): ReaderThread {
  const reader = startReader(path);
  reader.worker.unref();
  process.once('exit', () => void reader.worker.terminate());
  return reader;
}

/** Hands a prestarted reader to the read of its file. */
export function offerTableReader(reader: ReaderThread): void {
  offered = reader;
}

function startReader(path: string, writer?: Writer): ReaderThread {
  const window = new Int32Array(new SharedArrayBuffer(4));
  // Bundled as CommonJS (scripts/bundle-cli.mjs), as the parse thread is: it starts sooner.
  const worker = new Worker(new URL('../host/procReaderThread.bundle.cjs', import.meta.url), {
    workerData: {
      path,
      chunkBytes: CHUNK_BYTES,
      window,
      maxInFlight: MAX_IN_FLIGHT,
      writer: writer?.kind ?? 'none',
      writerDone: writer?.kind === 'growing' ? writer.done : undefined,
    },
  });
  const reader: ReaderThread = { path, worker, window, queue: [], wake: null, failure: null, linesRead: 0 };
  worker.on('message', (message: ReaderMessage) => {
    if ('opened' in message) {
      try {
        writer?.onOpened();
      } catch (error) {
        reader.failure = error as Error;
      }
    } else reader.queue.push(message);
    reader.wake?.();
  });
  worker.on('error', (error) => {
    reader.failure = error;
    reader.wake?.();
  });
  return reader;
}

async function* chunksOf(reader: ReaderThread): AsyncGenerator<Buffer> {
  const { worker, window, queue } = reader;
  worker.ref();
  try {
    for (;;) {
      while (queue.length === 0 && !reader.failure)
        await new Promise<void>((resolve) => (reader.wake = resolve));
      reader.wake = null;
      if (reader.failure) throw reader.failure;
      const message = queue.shift()!;
      if ('done' in message) {
        reader.linesRead = message.lines;
        return;
      }
      if ('error' in message) throw readError(reader.path, message.error);
      yield Buffer.from(message.chunk.buffer, 0, message.length);
      // Consumed (chunks are valid until the next is asked for): back to the reader for reuse.
      const consumed = message.chunk.buffer as ArrayBuffer;
      worker.postMessage(consumed, [consumed]);
      Atomics.sub(window, 0, 1);
      Atomics.notify(window, 0);
    }
  } finally {
    await worker.terminate();
  }
}

function readError(path: string, code: string): CtdoctorError {
  if (code === 'ENOENT') return new CtdoctorError('not-found', `${path} does not exist`);
  if (code === 'EACCES' || code === 'EPERM')
    return new CtdoctorError('permission', `cannot read ${path}: run as root`);
  return new CtdoctorError('kernel', `reading ${path}: ${code}`);
}
