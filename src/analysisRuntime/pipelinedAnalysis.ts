import { CtdoctorError } from '../core/errors.js';
import { tableEngineModule } from './tableEngineModule.js';
import { openFileReader } from '../host/dumpFileReader.js';
import { CHUNK_BYTES, readChunk, readRecordSlot, serviceListsAtHandOver } from './parsePipeline.js';
import { type ParseThread, takeParseThread } from './parseThread.js';
import type { AnalysisOptions, AnalysisRun, ProgressListener } from '../core/analysis/analysisRun.js';
import { consumer } from './tableConsumer.js';

type Consumer = ReturnType<typeof consumer>;

/** Where the parse thread took over, and the service lists each thread counts from there on. */
interface HandOver {
  base: number;
  lists: ReturnType<typeof serviceListsAtHandOver>;
}

/** How long a prestarted parse thread may take to come up before this thread starts alone. */
const PRESTARTED_GRACE_MS = 25;

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
  size: number,
  options: AnalysisOptions,
  onProgress?: ProgressListener,
): Promise<AnalysisRun> {
  const started = performance.now();
  const { thread, prestarted } = takeParseThread(tableEngineModule()!);
  thread.use();
  const reader = openFileReader(path);
  let bytes = 0;
  let workers = 1;
  let abandoned = false;
  try {
    // A thread started by the launcher is usually up already: it gets the file from the first byte
    // before this thread sets up its own engine (~10 ms of zeroed top lists), and parses meanwhile.
    // One that is nearly up is worth a short wait: counting the head here would keep every
    // service list on this thread (serviceListsAtHandOver), ~30 ms more on the bench table.
    const up = thread.started || (prestarted && thread.waitStarted(PRESTARTED_GRACE_MS));
    let handedOver = up ? handOver(thread, new Uint8Array(0), 0) : null;
    const analysis = consumer(options);
    const { tableEngine, push } = analysis;
    const chunk = Buffer.allocUnsafeSlow(STARTUP_READ_BYTES);
    while (!handedOver) {
      const got = reader.read(chunk);
      if (got === 0) break;
      push(chunk.subarray(0, got));
      bytes += got;
      onProgress?.(bytes);
      abandoned = analysis.unreadable(bytes);
      if (abandoned) break;
      if (thread.started) {
        const tail = tableEngine!.detachTail();
        if (tail) handedOver = handOver(thread, tail, tableEngine!.entries);
      }
    }
    if (handedOver) {
      workers = 2;
      await countParsedRecords(thread, analysis, handedOver);
    }
    if (handedOver && !abandoned) thread.finish();
    else thread.stop();
    return analysis.finish({ bytes, sampled: false, workers, started, abandoned });
  } catch (error) {
    thread.stop();
    throw error;
  } finally {
    reader.close();
  }

  /**
   * Gives the parse thread the rest of the file from `bytes` on, starting with the partial line
   * `tail`, and the service lists it counts (`entriesCounted` were counted here before).
   */
  function handOver({ plan, input }: ParseThread, tail: Uint8Array, entriesCounted: number): HandOver {
    const lists = serviceListsAtHandOver(entriesCounted);
    plan.setUp(reader.descriptor, bytes, size, lists.parsing);
    readChunk(plan, input, 0, tail);
    return { base: bytes, lists };
  }

  /**
   * Counts record slots as they come, from the hand-over at `base` until the last; reads chunks
   * itself while it has nothing to count.
   */
  async function countParsedRecords(
    { plan, input, records }: ParseThread,
    analysis: Consumer,
    { base, lists }: HandOver,
  ): Promise<void> {
    const { tableEngine, fallback } = analysis;
    // The parse thread numbers lines from the one it is handed (the partial line `tail`) on.
    const linesBefore = tableEngine!.lines;
    const servicesElsewhere = lists.parsing !== 'none';
    tableEngine!.countServices(lists.counting);
    const states: string[] = [];
    for (let slot = 0; ; slot = records.next(slot)) {
      while (!records.isFull(slot)) {
        const chunk = plan.claimAhead(input.layout.slots);
        if (chunk !== null) readChunk(plan, input, chunk);
        else
          await records.waitFull(slot, () => {
            const failure = thread.failed();
            return failure === null ? null : new CtdoctorError('kernel', failure);
          });
      }
      const part = readRecordSlot(records, slot);
      states.push(...part.newStates);
      if (part.count > 0) tableEngine!.countRecords(part.records, part.count, states);
      for (const run of part.fallbackRuns)
        fallback.push(run.bytes, run.firstLine === undefined ? undefined : linesBefore + run.firstLine);
      records.release(slot);
      bytes = Math.min(size, base + plan.nextUnclaimed * CHUNK_BYTES);
      onProgress?.(bytes);
      abandoned = analysis.unreadable(bytes);
      if (abandoned) return;
      if (part.last) {
        analysis.linesReadElsewhere(part.linesRead);
        if (servicesElsewhere) tableEngine!.adoptServiceSignals(await thread.serviceSignals());
        return;
      }
    }
  }
}
