/**
 * Worker body for readProcInThread: blocking reads of a /proc file, batched into large chunks that
 * are transferred (not copied) to the parsing thread. `window` counts chunks in flight; the reader
 * sleeps on it so it never runs more than MAX_IN_FLIGHT chunks ahead of the parser.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { countNewlines } from '../core/table/newlines.js';

const { path, chunkBytes, window, maxInFlight, writer, writerDone } = workerData as {
  path: string;
  chunkBytes: number;
  window: Int32Array;
  maxInFlight: number;
  /** Who fills the file while it is read: nobody (/proc), a FIFO's writer, a regular file's writer. */
  writer: 'none' | 'fifo' | 'growing';
  /** For a growing file: set to 1 by the parent once the writer has exited. */
  writerDone?: Int32Array;
};

/**
 * A FIFO's read end: opened non-blocking first so the writer can open its end at once (it is told
 * by the `opened` message), then blocking, for plain blocking reads until the writer closes.
 */
function openFifo(): number {
  const probe = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  parentPort!.postMessage({ opened: true });
  const fd = openSync(path, constants.O_RDONLY);
  closeSync(probe);
  return fd;
}

/**
 * A chunk the parsing thread has finished with and sent back: fresh 1 MiB buffers cost 256 page
 * faults each, ~170 MB of them per million entries, on the CPU the kernel's dump also needs.
 */
function recycledChunk(): Uint8Array | undefined {
  const returned = receiveMessageOnPort(parentPort!);
  return returned ? new Uint8Array(returned.message as ArrayBuffer) : undefined;
}

/** A regular file another process writes: open, then tell the parent it may start the writer. */
function openGrowing(): number {
  const fd = openSync(path, 'r');
  parentPort!.postMessage({ opened: true });
  return fd;
}

/** What a growing file's reader hands over at once when it reaches the file's current end. */
const GROWING_HANDOVER_BYTES = 256 << 10;

/**
 * A tool's output (a FIFO's or a growing file's writer) is counted in lines, which the tool's own
 * count can be checked against: a write that fails (a full tmpfs) is not an error to conntrack.
 * Counted here, on the reader's thread, where it costs the parser nothing.
 */
const countsLines = writer !== 'none';

try {
  let lines = 0;
  const fd = writer === 'fifo' ? openFifo() : writer === 'growing' ? openGrowing() : openSync(path, 'r');
  try {
    for (;;) {
      while (Atomics.load(window, 0) >= maxInFlight) Atomics.wait(window, 0, maxInFlight, 1000);
      const chunk = recycledChunk() ?? new Uint8Array(chunkBytes);
      let filled = 0;
      let eof = false;
      // seq_file returns about a page per read(): gather many reads into one chunk.
      while (filled < chunkBytes - 65536) {
        // Read before the end counts as the end only if the writer had exited before the read.
        const writerExited = writer === 'growing' && Atomics.load(writerDone!, 0) === 1;
        const bytes = readSync(fd, chunk, filled, chunkBytes - filled, null);
        if (bytes > 0) {
          filled += bytes;
          continue;
        }
        if (writer === 'growing' && !writerExited) {
          if (filled >= GROWING_HANDOVER_BYTES) break;
          Atomics.wait(writerDone!, 0, 0, 2);
          continue;
        }
        eof = true;
        break;
      }
      if (filled > 0) {
        if (countsLines) lines += countNewlines(chunk.subarray(0, filled));
        Atomics.add(window, 0, 1);
        parentPort!.postMessage({ chunk, length: filled }, [chunk.buffer as ArrayBuffer]);
      }
      if (eof) break;
    }
  } finally {
    closeSync(fd);
  }
  parentPort!.postMessage({ done: true, lines });
} catch (error) {
  parentPort!.postMessage({ error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
}
