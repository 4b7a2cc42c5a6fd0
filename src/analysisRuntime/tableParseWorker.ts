import { parentPort, workerData } from 'node:worker_threads';
import { TableEngine, ownedServiceSignals } from '../core/analysis/tableEngine.js';
import {
  CHUNK_BYTES,
  ChunkPlan,
  INPUT_LENGTH,
  PipelineAborted,
  type ParseThreadData,
  RECORDS_PER_CALL,
  RecordSlotWriter,
  readChunkInto,
} from './parsePipeline.js';
import { SlotRing } from './slotRing.js';

/** The parse thread of a pipelined analysis (parsePipeline.ts). */
const data = workerData as ParseThreadData;
const input = new SlotRing(data.input.shared, data.input.layout);
const records = new SlotRing(data.records.shared, data.records.layout);
const plan = new ChunkPlan(data.plan);

function run(): void {
  let statesSent = 0;
  let engine: TableEngine | null = null;
  const newStates = () => {
    const states = engine!.statesFrom(statesSent);
    statesSent += states.length;
    return states;
  };
  // A parse-only engine needs no top lists: capacity 1 keeps its memory small.
  const writer = new RecordSlotWriter(records, newStates, () => engine!.lines);
  engine = new TableEngine(data.module, { capacity: 1 }, writer, {
    perCall: RECORDS_PER_CALL,
    onRecords: (bytes, count) => writer.records(bytes, count),
  });
  records.markStarted();
  // Chunk 0 comes from the main thread at the hand-over, with the plan; then each chunk is read
  // here unless the main thread, idle, has read it already.
  if (!input.waitBlocking(0, 'full')) return;
  const serviceLists = plan.parseThreadServiceLists;
  engine.countServices(serviceLists);
  for (let chunk = 0; chunk < plan.chunks; chunk++) {
    const slot = chunk % input.layout.slots;
    // A chunk this thread claims is read straight into the engine; one the main thread has read
    // comes through the ring.
    if (!input.isFull(slot) && plan.claim(chunk))
      engine.pushRead(CHUNK_BYTES, (into) => readChunkInto(plan, chunk, into));
    else {
      if (!input.waitBlocking(slot, 'full')) return;
      engine.push(input.data(slot).subarray(0, input.header(slot, INPUT_LENGTH)));
      input.release(slot);
    }
    plan.consumed(chunk);
    if (chunk < plan.chunks - 1) writer.publish(false);
  }
  engine.finish();
  // Before the last slot: the counting thread waits for these once it has read that slot.
  if (serviceLists !== 'none')
    parentPort!.postMessage({ services: ownedServiceSignals(engine.serviceSignals()) });
  writer.publish(true);
}

try {
  run();
} catch (error) {
  if (!(error instanceof PipelineAborted)) {
    records.abort();
    input.abort();
    parentPort!.postMessage({ error: (error as Error).message });
  }
}
