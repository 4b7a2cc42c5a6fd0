import { parentPort, workerData } from 'node:worker_threads';
import { TableEngine } from '../core/analysis/tableEngine.js';
import {
  INPUT_LENGTH,
  PipelineAborted,
  type ParseThreadData,
  RECORDS_PER_CALL,
  RecordSlotWriter,
} from './parsePipeline.js';
import { SlotRing } from './slotRing.js';

/** The parse thread of a pipelined analysis (parsePipeline.ts). */
const data = workerData as ParseThreadData;
const input = new SlotRing(data.input.shared, data.input.layout);
const records = new SlotRing(data.records.shared, data.records.layout);

function run(): void {
  let statesSent = 0;
  let engine: TableEngine | null = null;
  const newStates = () => {
    const states = engine!.statesFrom(statesSent);
    statesSent += states.length;
    return states;
  };
  // A parse-only engine needs no top lists: capacity 1 keeps its memory small.
  const writer = new RecordSlotWriter(records, data.recordBytes, newStates);
  engine = new TableEngine(data.module, 1, writer, {
    perCall: RECORDS_PER_CALL,
    onRecords: (bytes, count) => writer.records(bytes, count),
  });
  records.markStarted();
  for (let slot = 0; ; slot = input.next(slot)) {
    if (!input.waitBlocking(slot, 'full')) return;
    const length = input.header(slot, INPUT_LENGTH);
    if (length > 0) engine.push(input.data(slot).subarray(0, length));
    input.release(slot);
    if (length === 0) break;
    writer.publish(false);
  }
  engine.finish();
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
