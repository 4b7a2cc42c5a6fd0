import { RECORD_BYTES } from '../core/analysis/tableEngine.js';
import { tableEngineModule } from '../host/tableEngineModule.js';
import { openFileReader } from '../host/tableSource.js';
import { INPUT_LENGTH, readRecordSlot } from './parsePipeline.js';
import { type ParseThread, takeParseThread } from './parseThread.js';
import type { AnalysisOptions, AnalysisRun, ProgressListener } from './tableAnalysis.js';
import { consumer } from './tableConsumer.js';

/** Reads while the parse thread starts: small, so that the hand-over comes soon after. */
const STARTUP_READ_BYTES = 1 << 20;

/**
 * A saved dump on two threads: a worker parses lines into records while this thread reads the
 * file and counts the records, in file order, so the summary is exactly a single engine's. Until
 * the worker is up this thread parses and counts by itself; if it never comes up, this thread does
 * the whole file.
 */
export async function analyzeFilePipelined(
  path: string,
  options: AnalysisOptions,
  onProgress?: ProgressListener,
): Promise<AnalysisRun> {
  const started = performance.now();
  const thread = takeParseThread(tableEngineModule()!);
  thread.use();
  const { aggregator, engine, tableEngine, fallback, push, scanned, end } = consumer(options);
  const reader = openFileReader(path);
  let bytes = 0;
  let workers = 1;
  try {
    const chunk = Buffer.allocUnsafeSlow(STARTUP_READ_BYTES);
    let tail: Uint8Array | null = null;
    for (;;) {
      const got = reader.read(chunk);
      if (got === 0) break;
      push(chunk.subarray(0, got));
      bytes += got;
      onProgress?.(bytes);
      if (thread.started) {
        tail = tableEngine!.detachTail();
        if (tail) break;
      }
    }
    if (tail) {
      workers = 2;
      await countParsedRecords(thread, tail);
      thread.finish();
    } else thread.stop();
  } catch (error) {
    thread.stop();
    throw error;
  } finally {
    reader.close();
  }
  const counts = end();
  return {
    aggregator,
    engine,
    counts,
    scanned: scanned(),
    bytes,
    sampled: false,
    workers,
    durationMs: performance.now() - started,
  };

  /** Keeps the input ring full and counts record slots as they come, until the last. */
  async function countParsedRecords({ input, records }: ParseThread, first: Uint8Array): Promise<void> {
    let inputSlot = 0;
    let pending: Uint8Array | null = first;
    let endSent = false;
    const fill = () => {
      while (!endSent && input.isFree(inputSlot)) {
        const data = input.data(inputSlot);
        let length = 0;
        if (pending) {
          data.set(pending);
          length = pending.length;
          pending = null;
        }
        const got = reader.read(data.subarray(length));
        length += got;
        bytes += got;
        endSent = length === 0;
        input.setHeader(inputSlot, INPUT_LENGTH, length);
        input.publish(inputSlot);
        inputSlot = input.next(inputSlot);
      }
    };
    const states: string[] = [];
    for (let slot = 0; ; slot = records.next(slot)) {
      fill();
      await records.waitFull(slot, () => thread.failed());
      const part = readRecordSlot(records, slot, RECORD_BYTES);
      states.push(...part.newStates);
      if (part.count > 0) tableEngine!.countRecords(part.records, part.count, states);
      if (part.fallback.length > 0) fallback.push(part.fallback);
      records.release(slot);
      onProgress?.(bytes);
      if (part.last) return;
    }
  }
}
