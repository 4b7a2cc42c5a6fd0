/**
 * Worker body for readProcInThread: blocking reads of a /proc file, batched into large chunks that
 * are transferred (not copied) to the parsing thread. `window` counts chunks in flight; the reader
 * sleeps on it so it never runs more than MAX_IN_FLIGHT chunks ahead of the parser.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

const { path, chunkBytes, window, maxInFlight, fifo } = workerData as {
  path: string;
  chunkBytes: number;
  window: Int32Array;
  maxInFlight: number;
  fifo: boolean;
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

try {
  const fd = fifo ? openFifo() : openSync(path, 'r');
  try {
    for (;;) {
      while (Atomics.load(window, 0) >= maxInFlight) Atomics.wait(window, 0, maxInFlight, 1000);
      const chunk = recycledChunk() ?? new Uint8Array(chunkBytes);
      let filled = 0;
      let eof = false;
      // seq_file returns about a page per read(): gather many reads into one chunk.
      while (filled < chunkBytes - 65536) {
        const bytes = readSync(fd, chunk, filled, chunkBytes - filled, null);
        if (bytes === 0) {
          eof = true;
          break;
        }
        filled += bytes;
      }
      if (filled > 0) {
        Atomics.add(window, 0, 1);
        parentPort!.postMessage({ chunk, length: filled }, [chunk.buffer as ArrayBuffer]);
      }
      if (eof) break;
    }
  } finally {
    closeSync(fd);
  }
  parentPort!.postMessage({ done: true });
} catch (error) {
  parentPort!.postMessage({ error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
}
