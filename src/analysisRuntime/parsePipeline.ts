import { RECORD_BYTES } from '../core/analysis/engineAbi.js';
import type { FallbackSink, ServiceLists } from '../core/analysis/tableEngine.js';
import { countNewlines } from '../core/table/newlines.js';
import { readFileAt } from '../host/dumpFileReader.js';
import type { SlotRing, SlotRingLayout } from './slotRing.js';

/**
 * The protocol between the two threads of a pipelined analysis (pipelinedAnalysis.ts). The dump is
 * read in chunks into the input ring by whichever thread is free: the parse thread
 * (tableParseWorker.ts) when it would otherwise wait, the main thread when it has no records to
 * count. The parse thread turns each chunk into records, the lines it leaves to the reference
 * parser, and the state names it has met, which go back through the record ring to be counted in
 * order.
 */
/**
 * 512 KiB: a chunk read, then parsed, stays in the parse thread's 2 MiB L2 cache; with 2 MiB chunks
 * it spilled to the shared L3 and slowed the counting thread (~10 ms on a million entries).
 */
export const CHUNK_BYTES = 512 << 10;
/** Chunk 0 starts with the partial line the main thread had read before the hand-over. */
const TAIL_ROOM = 8192;
export const INPUT_LAYOUT: SlotRingLayout = { slots: 4, slotBytes: CHUNK_BYTES + TAIL_ROOM, headerFields: 1 };
/** Input slot header: bytes in the slot. */
export const INPUT_LENGTH = 0;

/** The plan holds the parse thread's ServiceLists as an index into this. */
const SERVICE_LISTS: readonly ServiceLists[] = ['none', 'byService', 'bySource', 'all'];

/**
 * Which chunks exist and which are taken: chunk k is [base + k·CHUNK_BYTES, +CHUNK_BYTES) of the
 * file, goes to input slot k mod slots, and is read by the thread that claims it. The main thread
 * reads chunk 0 and sets the plan before it publishes it.
 */
export class ChunkPlan {
  private readonly numbers: Float64Array;
  /**
   * [next unclaimed chunk, file descriptor, chunks consumed by the parse thread, the service lists
   * the parse thread counts (an index into SERVICE_LISTS)]
   */
  private readonly ints: Int32Array;

  constructor(readonly shared: SharedArrayBuffer) {
    this.numbers = new Float64Array(shared, 0, 2);
    this.ints = new Int32Array(shared, 16, 4);
  }

  static create(): ChunkPlan {
    return new ChunkPlan(new SharedArrayBuffer(32));
  }

  /**
   * Main thread, before chunk 0 is published: the file, where the chunks start, its size, and
   * the service lists the parse thread counts (serviceListsAtHandOver).
   */
  setUp(descriptor: number, base: number, size: number, parseThreadServiceLists: ServiceLists): void {
    this.numbers[0] = base;
    this.numbers[1] = size;
    this.ints[1] = descriptor;
    this.ints[3] = SERVICE_LISTS.indexOf(parseThreadServiceLists);
    Atomics.store(this.ints, 0, 1); // chunk 0 is the main thread's
  }

  get parseThreadServiceLists(): ServiceLists {
    return SERVICE_LISTS[this.ints[3]!]!;
  }

  get chunks(): number {
    return Math.max(1, Math.ceil((this.numbers[1]! - this.numbers[0]!) / CHUNK_BYTES));
  }

  get nextUnclaimed(): number {
    return Atomics.load(this.ints, 0);
  }

  claim(chunk: number): boolean {
    return chunk < this.chunks && Atomics.compareExchange(this.ints, 0, chunk, chunk + 1) === chunk;
  }

  /** Parse thread: the chunk has been parsed and its slot released. */
  consumed(chunk: number): void {
    Atomics.store(this.ints, 2, chunk + 1);
  }

  /**
   * Main thread: claims the next chunk if it can be read now, or null. Its slot must have been
   * released by the parse thread (a slot merely not yet published may still be being read into).
   */
  claimAhead(slots: number): number | null {
    const chunk = this.nextUnclaimed;
    if (chunk >= Atomics.load(this.ints, 2) + slots) return null;
    return this.claim(chunk) ? chunk : null;
  }

  get descriptor(): number {
    return this.ints[1]!;
  }

  /** Where a chunk starts in the file. */
  positionOf(chunk: number): number {
    return this.numbers[0]! + chunk * CHUNK_BYTES;
  }
}

/**
 * Which service lists each thread counts from the hand-over on. The parse thread takes the
 * (service, source) lists only when it parses every entry (one engine must see all of a list's
 * entries, in order): usually, since the launcher started it in time. The counting thread sees every
 * entry either way and keeps the lists by service. On the million-entry bench table (~600k distinct
 * services, ~1M distinct (service, source) pairs) the (service, source) lists cost the parse
 * thread ~65 ms and the counting thread, whose cache its own top lists fill, ~130 ms; the lists by
 * service ~50 and ~60 ms. This way round the two threads finish together.
 */
export function serviceListsAtHandOver(entriesCountedBefore: number): {
  counting: ServiceLists;
  parsing: ServiceLists;
} {
  return entriesCountedBefore === 0
    ? { counting: 'byService', parsing: 'bySource' }
    : { counting: 'all', parsing: 'none' };
}

/*
 * The reads are functions, not ChunkPlan methods: the launcher's prestarted thread object comes
 * from another bundle, and an error thrown by its copy of the code would not be this one's
 * CtdoctorError.
 */

/** Reads a claimed chunk into `into` (at least CHUNK_BYTES); returns the byte count. */
export function readChunkInto(plan: ChunkPlan, chunk: number, into: Uint8Array): number {
  return readFileAt(plan.descriptor, into.subarray(0, CHUNK_BYTES), plan.positionOf(chunk));
}

/** Reads a claimed chunk into its input slot after `prefix`, and publishes it. */
export function readChunk(
  plan: ChunkPlan,
  ring: SlotRing,
  chunk: number,
  prefix: Uint8Array = new Uint8Array(0),
): void {
  const slot = chunk % ring.layout.slots;
  const data = ring.data(slot);
  data.set(prefix);
  const got = readChunkInto(plan, chunk, data.subarray(prefix.length));
  ring.setHeader(slot, INPUT_LENGTH, prefix.length + got);
  ring.publish(slot);
}

/** Records per slot; each scan call hands over at most RECORDS_PER_CALL of them. */
const RECORDS_PER_SLOT = 16384;
export const RECORDS_PER_CALL = 4096;
/**
 * After the records: fallback lines, then the new state names (at most 64 of 32 bytes); at the end,
 * where each run of fallback lines starts and its first line's number.
 */
const EXTRA_BYTES = 512 << 10;
const STATE_NAMES_RESERVE = 4096;
const MAX_RUNS = 4096;
const RUNS_BYTES = MAX_RUNS * 8;
const FALLBACK_ROOM = EXTRA_BYTES - STATE_NAMES_RESERVE - RUNS_BYTES;

/** Record slot bytes: the records, then fallback lines and state names. */
const RECORD_AREA = RECORDS_PER_SLOT * RECORD_BYTES;
export const RECORD_LAYOUT: SlotRingLayout = {
  slots: 4,
  slotBytes: RECORD_AREA + EXTRA_BYTES,
  headerFields: 6,
};
/** Record slot header fields. */
const RECORD_COUNT = 0;
const FALLBACK_BYTES = 1;
const STATE_NAME_BYTES = 2;
const LAST_SLOT = 3;
const FALLBACK_RUNS = 4;
/** Lines the parse thread has read when it publishes the slot. */
const LINES_READ = 5;

/** A slot's run table: [byte offset in the fallback area, first line number or 0 (continuation)]. */
function runTable(data: Uint8Array): Uint32Array {
  return new Uint32Array(data.buffer, data.byteOffset + RECORD_AREA + EXTRA_BYTES - RUNS_BYTES, 2 * MAX_RUNS);
}

interface RingHandle {
  shared: SharedArrayBuffer;
  layout: SlotRingLayout;
}

export interface ParseThreadData {
  module: WebAssembly.Module;
  plan: SharedArrayBuffer;
  input: RingHandle;
  records: RingHandle;
}

export class PipelineAborted extends Error {}

/**
 * The parse thread's side of the record ring: records and fallback lines accumulate in the slot
 * being filled, which is handed over when full and after each input slot.
 */
export class RecordSlotWriter implements FallbackSink {
  private slot = 0;
  private acquired = false;
  private recordCount = 0;
  private fallbackBytes = 0;
  private runs = 0;

  constructor(
    private readonly ring: SlotRing,
    /** State names met since the last call, in id order. */
    private readonly newStates: () => string[],
    /** Lines the parse thread has read so far. */
    private readonly linesRead: () => number,
  ) {}

  records(records: Uint8Array, count: number): void {
    this.current();
    if (this.recordCount + count > RECORDS_PER_SLOT) this.publish(false);
    this.current().set(records, this.recordCount * RECORD_BYTES);
    this.recordCount += count;
  }

  push(bytes: Uint8Array, firstLine?: number): void {
    let offset = 0;
    let line = firstLine ?? 0;
    while (offset < bytes.length) {
      const room = FALLBACK_ROOM - this.fallbackBytes;
      if (room === 0 || this.runs === MAX_RUNS) {
        this.publish(false);
        continue;
      }
      const take = Math.min(room, bytes.length - offset);
      const data = this.current();
      const runs = runTable(data);
      runs[2 * this.runs] = this.fallbackBytes;
      runs[2 * this.runs + 1] = line;
      this.runs++;
      const part = bytes.subarray(offset, offset + take);
      data.set(part, RECORD_AREA + this.fallbackBytes);
      this.fallbackBytes += take;
      offset += take;
      // A run cut by a full slot goes on in the next one, numbered from the last newline here (the
      // parser ignores the number while it holds a partial line).
      if (line !== 0) line += countNewlines(part);
    }
  }

  publish(last: boolean): void {
    const data = this.current();
    const names = Buffer.from(this.newStates().join('\n'), 'latin1');
    data.set(names, RECORD_AREA + this.fallbackBytes);
    this.ring.setHeader(this.slot, RECORD_COUNT, this.recordCount);
    this.ring.setHeader(this.slot, FALLBACK_BYTES, this.fallbackBytes);
    this.ring.setHeader(this.slot, STATE_NAME_BYTES, names.length);
    this.ring.setHeader(this.slot, LAST_SLOT, last ? 1 : 0);
    this.ring.setHeader(this.slot, FALLBACK_RUNS, this.runs);
    this.ring.setHeader(this.slot, LINES_READ, this.linesRead());
    this.ring.publish(this.slot);
    this.slot = this.ring.next(this.slot);
    this.acquired = false;
  }

  private current(): Uint8Array {
    if (!this.acquired) {
      if (!this.ring.waitBlocking(this.slot, 'free')) throw new PipelineAborted();
      this.acquired = true;
      this.recordCount = 0;
      this.fallbackBytes = 0;
      this.runs = 0;
    }
    return this.ring.data(this.slot);
  }
}

/** The main thread's reading of a record slot. */
export function readRecordSlot(ring: SlotRing, slot: number) {
  const data = ring.data(slot);
  const count = ring.header(slot, RECORD_COUNT);
  const fallbackEnd = RECORD_AREA + ring.header(slot, FALLBACK_BYTES);
  const namesEnd = fallbackEnd + ring.header(slot, STATE_NAME_BYTES);
  const names = Buffer.from(data.buffer, data.byteOffset + fallbackEnd, namesEnd - fallbackEnd).toString(
    'latin1',
  );
  const runCount = ring.header(slot, FALLBACK_RUNS);
  const table = runTable(data);
  const fallbackRuns: { bytes: Uint8Array; firstLine: number | undefined }[] = [];
  for (let i = 0; i < runCount; i++) {
    const from = RECORD_AREA + table[2 * i]!;
    const to = i + 1 < runCount ? RECORD_AREA + table[2 * i + 2]! : fallbackEnd;
    const line = table[2 * i + 1]!;
    fallbackRuns.push({ bytes: data.subarray(from, to), firstLine: line === 0 ? undefined : line });
  }
  return {
    records: data.subarray(0, count * RECORD_BYTES),
    count,
    /** Runs of fallback lines; line numbers count from the parse thread's first line. */
    fallbackRuns,
    newStates: names === '' ? [] : names.split('\n'),
    linesRead: ring.header(slot, LINES_READ),
    last: ring.header(slot, LAST_SLOT) === 1,
  };
}
