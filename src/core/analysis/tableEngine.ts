import { CtdoctorError } from '../errors.js';
import {
  ENGINE_ABI_VERSION,
  ESTABLISHED_HOUR_BUCKETS,
  KEY_TEXT,
  MAX_STATE_BYTES,
  RECORD_BYTES,
  REFLECTION_PORT_COUNT,
  RESULT,
  SERVICE_LISTS_BY_SERVICE,
  SERVICE_LISTS_BY_SOURCE,
  SPREAD_REGISTERS,
  STATE_SLOTS,
  TOP,
  TOP_FIELD,
} from './engineAbi.js';
import { type AddressKey, formatIPv6Groups } from '../table/address.js';
import { MAX_LINE_BYTES } from '../table/entryStream.js';
import type { ServiceTallyState } from './serviceTally.js';
import {
  type AggregatorOptions,
  type AggregatorState,
  DEFAULT_ESTABLISHED_TIMEOUT_SECONDS,
  TIMEOUT_BUCKETS,
} from './tableAggregator.js';
import type { TopKState } from './topK.js';

/**
 * The WebAssembly fast path of table analysis (native/table-engine.c). It parses and aggregates the
 * tcp/udp/icmp/icmpv6 lines (IPv4 or IPv6) it can read with certainty, exactly as
 * EntryStreamParser + TableAggregator would; every other line goes, as bytes, to the TypeScript
 * parser given as `fallback`. Its summary is an AggregatorState, merged like any other part of a
 * table (docs/analysis-engine.md).
 */
interface EngineExports {
  memory: WebAssembly.Memory;
  abi_version?(): number;
  engine_init(capacity: number, establishedTimeoutSeconds: number): number;
  input_buffer(bytes: number): number;
  scan(start: number, end: number): number;
  record_output_init(count: number): number;
  record_output_count(): number;
  record_output_clear(): void;
  count_records(records: number, count: number): void;
  count_services(lists: number): void;
  adopt_state(foreignId: number, length: number): number;
  fallback_list(): number;
  fallback_length(): number;
  fallback_line_list(): number;
  scan_lines(): number;
  entry_count(): number;
  result(what: number): number;
  top_field(which: number, field: number): number;
  top_floor(which: number): number;
  key_texts(which: number, kind: number): number;
}

/** How the reference keys a top list: see topState. */
type KeyKind = 'address' | 'prefix' | 'number' | 'pair' | 'service' | 'serviceSource' | 'backend';
/**
 * The input buffer: the partial line carried over from the previous read ends at TAIL_ROOM, where
 * each read's bytes start, 16-byte aligned. Aligned copies matter for reads from shared memory
 * (the pipeline's input ring): V8 copies those byte by byte when the two sides are misaligned,
 * ~14× slower.
 */
const TAIL_ROOM = 8192;
const READ_ROOM = 8 << 20;

/**
 * Where the lines the engine does not take go, as bytes, whole lines in order. `firstLine` is the
 * number (from 1, in this engine's input) of the first line in `bytes`; it is absent when `bytes`
 * goes on with the overlong line of the previous push.
 */
export interface FallbackSink {
  push(bytes: Uint8Array, firstLine?: number): void;
}

/**
 * Parse-only mode, for the parse thread of a pipelined run: records go to `onRecords` (at most
 * `perCall` at a time, a view valid during the call) instead of being counted. `perCall` is at
 * least the engine's batch of 128 records, which it writes whole.
 */
export interface RecordOutput {
  perCall: number;
  onRecords(records: Uint8Array, count: number): void;
}

/** The class-conditional service tallies: what a pipelined run's threads share out (countServices). */
export type ServiceSignalsState = Pick<
  AggregatorState,
  'unrepliedServices' | 'repliedServices' | 'timeWaitServices' | 'natBackends' | 'backendStats'
>;

/**
 * Which of the class-conditional lists an engine counts: all, none, or one of two halves — the lists
 * by service (services with their sketches, replied services, DNAT backends) or the (service,
 * source) lists. The lists are independent, so each half may be counted by another engine as long
 * as that engine sees every entry in order.
 */
export type ServiceLists = 'all' | 'byService' | 'bySource' | 'none';

const SERVICE_LIST_BITS: Record<ServiceLists, number> = {
  all: SERVICE_LISTS_BY_SERVICE | SERVICE_LISTS_BY_SOURCE,
  byService: SERVICE_LISTS_BY_SERVICE,
  bySource: SERVICE_LISTS_BY_SOURCE,
  none: 0,
};

/** A top list that owns its arrays: views into an engine's memory would post the whole memory. */
function ownedTop<K>(top: TopKState<K>): TopKState<K> {
  return { ...top, counts: Uint32Array.from(top.counts), errors: Uint32Array.from(top.errors) };
}

/** Service tallies that can be posted to another thread (structured clone) and outlive their engine. */
export function ownedServiceSignals(signals: ServiceSignalsState): ServiceSignalsState {
  const tally = (state: ServiceTallyState): ServiceTallyState => ({
    services: ownedTop(state.services),
    sketches: state.sketches,
    sources: ownedTop(state.sources),
  });
  return {
    unrepliedServices: tally(signals.unrepliedServices),
    repliedServices: ownedTop(signals.repliedServices),
    timeWaitServices: tally(signals.timeWaitServices),
    natBackends: ownedTop(signals.natBackends),
    backendStats: signals.backendStats,
  };
}

export class TableEngine {
  private readonly wasm: EngineExports;
  private readonly input: number;
  private readonly recordOutput: number;
  /** State names of a parse-only engine adopted so far (countRecords). */
  private adoptedStates = 0;
  /** The service lists this engine counts (countServices). */
  private serviceLists: ServiceLists;
  /** The service lists it does not count, counted by another engine for its records (adoptServiceSignals). */
  private servicesElsewhere: ServiceSignalsState | undefined;
  /** The unread bytes are [start, filled) of the input buffer. */
  private start = TAIL_ROOM;
  private filled = TAIL_ROOM;
  /** A line longer than any entry is being passed to the fallback parser up to its newline. */
  private longLineToFallback = false;
  /** Complete lines read so far, taken or not (the fallback parser's line numbers). */
  private lineCount = 0;

  constructor(
    module: WebAssembly.Module,
    {
      capacity,
      establishedTimeoutSeconds,
    }: Pick<AggregatorOptions, 'capacity' | 'establishedTimeoutSeconds'>,
    private readonly fallback: FallbackSink,
    private readonly output?: RecordOutput,
  ) {
    this.wasm = new WebAssembly.Instance(module).exports as unknown as EngineExports;
    // A wasm i32 comes back signed; the version is a u32.
    const abi = this.wasm.abi_version === undefined ? undefined : this.wasm.abi_version() >>> 0;
    if (abi !== ENGINE_ABI_VERSION)
      throw new CtdoctorError(
        'refused',
        `native/table-engine.wasm does not match this build (engine ABI ${abiText(abi)}, not ${abiText(ENGINE_ABI_VERSION)}): run npm run build:engine`,
      );
    const timeout = establishedTimeoutSeconds ?? DEFAULT_ESTABLISHED_TIMEOUT_SECONDS;
    this.input = this.wasm.engine_init(capacity, timeout)
      ? this.wasm.input_buffer(TAIL_ROOM + READ_ROOM + 16)
      : 0;
    this.recordOutput = output && this.input ? this.wasm.record_output_init(output.perCall) : 0;
    this.serviceLists = output ? 'none' : 'all';
    if (this.input === 0 || (output && this.recordOutput === 0))
      throw new CtdoctorError(
        'refused',
        `not enough memory for top lists of ${capacity} keys: lower --capacity (default 32768)`,
      );
  }

  /**
   * Counts records from a parse-only engine (another instance, usually on another thread) whose
   * state names are `states` (its ids are their indexes). Records are counted in the order given,
   * so a pipelined run gives the same summary as a single engine.
   */
  countRecords(records: Uint8Array, count: number, states: readonly string[]): void {
    const { wasm } = this;
    for (let id = this.adoptedStates; id < states.length; id++) {
      const name = Buffer.from(states[id]!, 'latin1');
      this.bytes().set(name, this.input);
      if (!wasm.adopt_state(id, name.length))
        throw new CtdoctorError(
          'bad-input',
          `state ${states[id]} from the parse thread could not be adopted`,
        );
    }
    this.adoptedStates = states.length;
    this.bytes().set(records.subarray(0, count * RECORD_BYTES), this.input);
    wasm.count_records(this.input, count);
  }

  /**
   * Which service lists this engine counts for the entries it takes (a counting engine counts all by
   * default, a parse-only one none): a pipelined run shares them between its threads.
   */
  countServices(lists: ServiceLists): void {
    this.serviceLists = lists;
    this.wasm.count_services(SERVICE_LIST_BITS[lists]);
  }

  /**
   * The service lists this engine does not count, as another engine (a parse-only one) counted them
   * for this one's records; the summary takes the rest from this engine's own.
   */
  adoptServiceSignals(signals: ServiceSignalsState): void {
    this.servicesElsewhere = signals;
  }

  /** The state names interned so far, by id, from `from` on (a parse-only engine's, for countRecords). */
  statesFrom(from: number): string[] {
    const { wasm } = this;
    const count = wasm.result(RESULT.statesInterned);
    const names = new Uint8Array(
      wasm.memory.buffer,
      wasm.result(RESULT.stateNames),
      STATE_SLOTS * MAX_STATE_BYTES,
    );
    const lengths = new Uint32Array(wasm.memory.buffer, wasm.result(RESULT.stateLengths), STATE_SLOTS);
    const states: string[] = [];
    for (let id = from; id < count; id++)
      states.push(
        Buffer.from(names.subarray(id * MAX_STATE_BYTES, id * MAX_STATE_BYTES + lengths[id]!)).toString(
          'latin1',
        ),
      );
    return states;
  }

  /**
   * Hands over the partial line at the end of the input so far, so that another engine can go on
   * from there; null (and nothing changes) in the middle of an overlong line.
   */
  detachTail(): Uint8Array | null {
    if (this.longLineToFallback) return null;
    const tail = this.bytes().slice(this.input + this.start, this.input + this.filled);
    this.start = this.filled = TAIL_ROOM;
    return tail;
  }

  /** Entries the engine took itself (the fallback parser counts its own). */
  get entries(): number {
    return this.wasm.entry_count();
  }

  /** Complete lines read so far, entries or not. */
  get lines(): number {
    return this.lineCount;
  }

  push(bytes: Uint8Array): void {
    let offset = 0;
    if (this.longLineToFallback) {
      const newline = bytes.indexOf(0x0a);
      if (newline < 0) {
        this.fallback.push(bytes);
        return;
      }
      this.fallback.push(bytes.subarray(0, newline + 1));
      this.longLineToFallback = false;
      this.lineCount++;
      offset = newline + 1;
    }
    while (offset < bytes.length) {
      const take = Math.min(TAIL_ROOM + READ_ROOM - this.filled, bytes.length - offset);
      this.bytes().set(bytes.subarray(offset, offset + take), this.input + this.filled);
      this.filled += take;
      offset += take;
      this.drain();
      if (this.longLineToFallback) {
        this.push(bytes.subarray(offset));
        return;
      }
    }
  }

  /**
   * push() without the copy: `read` fills the engine's own input with up to `limit` bytes and says
   * how many. Returns that count.
   */
  pushRead(limit: number, read: (into: Uint8Array) => number): number {
    if (this.longLineToFallback || limit > READ_ROOM) {
      const bytes = new Uint8Array(limit);
      const got = read(bytes);
      this.push(bytes.subarray(0, got));
      return got;
    }
    const got = read(this.bytes().subarray(this.input + this.filled, this.input + this.filled + limit));
    this.filled += got;
    this.drain();
    return got;
  }

  /** Ends the input: a last line without a newline is still the engine's to read. */
  finish(): void {
    if (this.longLineToFallback || this.filled === this.start) return;
    this.bytes()[this.input + this.filled] = 0x0a;
    this.filled++;
    this.drain();
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.wasm.memory.buffer);
  }

  private drain(): void {
    const { wasm } = this;
    let position = this.start;
    for (;;) {
      const next = wasm.scan(position, this.filled);
      this.passFallbackLines();
      this.passRecords();
      this.lineCount += wasm.scan_lines();
      if (next === position) break;
      position = next;
    }
    const tail = this.filled - position;
    const memory = this.bytes();
    if (tail > MAX_LINE_BYTES) {
      // Not an entry whatever follows: the fallback parser counts it as malformed and skips to its newline.
      this.fallback.push(
        memory.subarray(this.input + position, this.input + this.filled),
        this.lineCount + 1,
      );
      this.longLineToFallback = true;
      this.start = this.filled = TAIL_ROOM;
      return;
    }
    this.start = TAIL_ROOM - tail;
    memory.copyWithin(this.input + this.start, this.input + position, this.input + this.filled);
    this.filled = TAIL_ROOM;
  }

  private passRecords(): void {
    if (!this.output) return;
    const count = this.wasm.record_output_count();
    if (count === 0) return;
    this.output.onRecords(
      new Uint8Array(this.wasm.memory.buffer, this.recordOutput, count * RECORD_BYTES),
      count,
    );
    this.wasm.record_output_clear();
  }

  private passFallbackLines(): void {
    const count = this.wasm.fallback_length();
    if (count === 0) return;
    const ranges = new Uint32Array(this.wasm.memory.buffer, this.wasm.fallback_list(), 2 * count);
    const lines = new Uint32Array(this.wasm.memory.buffer, this.wasm.fallback_line_list(), count);
    const memory = this.bytes();
    const firstLine = this.lineCount + 1;
    // Adjacent lines (an all-IPv6 table) go over as one run.
    let runStart = ranges[0]!;
    let runEnd = ranges[1]! + 1;
    let runLine = firstLine + lines[0]!;
    for (let i = 1; i < count; i++) {
      const start = ranges[2 * i]!;
      if (start !== runEnd) {
        this.fallback.push(memory.subarray(this.input + runStart, this.input + runEnd), runLine);
        runStart = start;
        runLine = firstLine + lines[i]!;
      }
      runEnd = ranges[2 * i + 1]! + 1;
    }
    this.fallback.push(memory.subarray(this.input + runStart, this.input + runEnd), runLine);
  }

  /**
   * The summary so far. Its arrays are views into the engine's memory, valid until the engine reads
   * more input: merging copies them (copying here too cost a few ms and as many MB per run).
   */
  toState(): AggregatorState {
    const { wasm } = this;
    const buffer = wasm.memory.buffer;
    const f64 = (what: number, length: number) => new Float64Array(buffer, wasm.result(what), length);
    const u8 = (what: number, length: number) => new Uint8Array(buffer, wasm.result(what), length);
    const entries = wasm.entry_count();
    const scan = this.topState(TOP.scan, 'address') as TopKState<AddressKey>;
    const established = this.topState(TOP.established, 'pair') as TopKState<string>;

    return {
      entries,
      l3: Array.from(f64(RESULT.l3, 2)),
      proto: f64(RESULT.proto, 256),
      states: this.stateTallies(),
      flags: f64(RESULT.flags, 16),
      nat: Array.from(f64(RESULT.nat, 4)),
      tcpDport: f64(RESULT.tcpDport, 65536),
      udpDport: f64(RESULT.udpDport, 65536),
      otherDport: [],
      hllSrc: u8(RESULT.hllSrc, 1 << 14),
      hllDst: u8(RESULT.hllDst, 1 << 14),
      zones: this.topState(TOP.zones, 'number') as TopKState<number>,
      marks: this.topState(TOP.marks, 'number') as TopKState<number>,
      src: this.topState(TOP.src, 'address') as TopKState<AddressKey>,
      dst: this.topState(TOP.dst, 'address') as TopKState<AddressKey>,
      srcPrefix: this.topState(TOP.srcPrefix, 'prefix') as TopKState<AddressKey>,
      groups: null,
      scan,
      scanSpread: this.scanSpread(scan),
      udpUnrepliedDport: f64(RESULT.udpUnrepliedDport, 65536),
      hllUdpUnrepliedSrc: u8(RESULT.hllUdpUnrepliedSrc, 1 << 12),
      reflectionSport: f64(RESULT.reflectionSport, REFLECTION_PORT_COUNT),
      reflectionSrc: this.topState(TOP.reflectionSrc, 'address') as TopKState<AddressKey>,
      established,
      pairStats: this.pairStats(established),
      establishedRemainingHours: f64(RESULT.establishedHours, ESTABLISHED_HOUR_BUCKETS),
      ...this.combinedServiceSignals(),
    };
  }

  /** Each half of the service tallies from the engine that counted it: this one or another (adoptServiceSignals). */
  private combinedServiceSignals(): ServiceSignalsState {
    const own = this.serviceSignals();
    const elsewhere = this.servicesElsewhere;
    if (!elsewhere) return own;
    const lists = this.serviceLists;
    const byService = lists === 'all' || lists === 'byService' ? own : elsewhere;
    const bySource = lists === 'all' || lists === 'bySource' ? own : elsewhere;
    return {
      ...byService,
      unrepliedServices: { ...byService.unrepliedServices, sources: bySource.unrepliedServices.sources },
      timeWaitServices: { ...byService.timeWaitServices, sources: bySource.timeWaitServices.sources },
    };
  }

  /** The service tallies this engine counted (views into its memory, as toState's). */
  serviceSignals(): ServiceSignalsState {
    const natBackends = this.topState(TOP.natBackends, 'backend') as TopKState<string>;
    return {
      unrepliedServices: this.serviceTally(
        TOP.unrepliedServices,
        TOP.unrepliedSources,
        RESULT.unrepliedSketches,
      ),
      repliedServices: this.topState(TOP.repliedServices, 'service') as TopKState<string>,
      timeWaitServices: this.serviceTally(TOP.timeWaitServices, TOP.timeWaitSources, RESULT.timeWaitSketches),
      natBackends,
      backendStats: this.backendStats(natBackends),
    };
  }

  /** Entries and remaining-timeout buckets by state name, in the order the engine met the states. */
  private stateTallies(): AggregatorState['states'] {
    const { wasm } = this;
    const buffer = wasm.memory.buffer;
    const stateCount = wasm.result(RESULT.stateCount);
    const stateOrder = new Uint32Array(buffer, wasm.result(RESULT.stateOrder), stateCount);
    const stateLengths = new Uint32Array(buffer, wasm.result(RESULT.stateLengths), STATE_SLOTS);
    const stateEntries = new Float64Array(buffer, wasm.result(RESULT.stateEntries), STATE_SLOTS);
    const stateRemaining = new Float64Array(
      buffer,
      wasm.result(RESULT.stateRemaining),
      STATE_SLOTS * TIMEOUT_BUCKETS.length,
    );
    const names = new Uint8Array(buffer, wasm.result(RESULT.stateNames), STATE_SLOTS * MAX_STATE_BYTES);
    return Array.from(stateOrder, (id) => {
      const name = Buffer.from(
        names.subarray(id * MAX_STATE_BYTES, id * MAX_STATE_BYTES + stateLengths[id]!),
      ).toString('latin1');
      const remaining = stateRemaining.slice(id * TIMEOUT_BUCKETS.length, (id + 1) * TIMEOUT_BUCKETS.length);
      return [name, stateEntries[id]!, remaining];
    });
  }

  /** The port and host HyperLogLog registers of each scan candidate still in the top list. */
  private scanSpread(scan: TopKState<AddressKey>): AggregatorState['scanSpread'] {
    const spreadRegisters = new Uint8Array(this.wasm.memory.buffer, this.wasm.result(RESULT.spreadRegisters));
    const scanSpread: AggregatorState['scanSpread'] = [];
    this.forAttached(TOP.scan, (slot, index) => {
      const base = index * 2 * SPREAD_REGISTERS;
      scanSpread.push([
        scan.keys[slot]!,
        spreadRegisters.slice(base, base + SPREAD_REGISTERS),
        spreadRegisters.slice(base + SPREAD_REGISTERS, base + 2 * SPREAD_REGISTERS),
      ]);
    });
    return scanSpread;
  }

  /** Long-lived entries and the sum of remaining timeouts of each established pair still in the top list. */
  private pairStats(established: TopKState<string>): AggregatorState['pairStats'] {
    const buffer = this.wasm.memory.buffer;
    const longLived = new Float64Array(buffer, this.wasm.result(RESULT.pairLongLived));
    const remainingSum = new Float64Array(buffer, this.wasm.result(RESULT.pairRemainingSum));
    const f64 = (what: number) => new Float64Array(buffer, this.wasm.result(what));
    const timed = f64(RESULT.pairTimed);
    const idleLong = f64(RESULT.pairIdleLong);
    const idleSum = f64(RESULT.pairIdleSum);
    const idleMin = f64(RESULT.pairIdleMin);
    const pairStats: AggregatorState['pairStats'] = [];
    this.forAttached(TOP.established, (slot, index) => {
      pairStats.push([
        established.keys[slot]!,
        longLived[index]!,
        remainingSum[index]!,
        timed[index]!,
        idleLong[index]!,
        idleSum[index]!,
        idleMin[index]!,
      ]);
    });
    return pairStats;
  }

  /** A class's services, their distinct-source sketches and its (service, source) list. */
  private serviceTally(services: number, sources: number, sketches: number): ServiceTallyState {
    const state = this.topState(services, 'service') as TopKState<string>;
    const registers = new Uint8Array(this.wasm.memory.buffer, this.wasm.result(sketches));
    const attached: [string, Uint8Array][] = [];
    this.forAttached(services, (slot, index) => {
      const base = index * SPREAD_REGISTERS;
      attached.push([state.keys[slot]!, registers.slice(base, base + SPREAD_REGISTERS)]);
    });
    return {
      services: state,
      sketches: attached,
      sources: this.topState(sources, 'serviceSource') as TopKState<string>,
    };
  }

  /** Unreplied entries and the sum of remaining timeouts of each DNAT backend still in the top list. */
  private backendStats(backends: TopKState<string>): AggregatorState['backendStats'] {
    const buffer = this.wasm.memory.buffer;
    const unreplied = new Float64Array(buffer, this.wasm.result(RESULT.backendUnreplied));
    const remainingSum = new Float64Array(buffer, this.wasm.result(RESULT.backendRemainingSum));
    const stats: AggregatorState['backendStats'] = [];
    this.forAttached(TOP.natBackends, (slot, index) => {
      stats.push([backends.keys[slot]!, unreplied[index]!, remainingSum[index]!]);
    });
    return stats;
  }

  /**
   * A top list's keys as the reference keys them: IPv4 addresses and /24 prefixes as signed
   * integers, zones and marks as unsigned ones, IPv6 addresses and /64 prefixes as RFC 5952 text,
   * client/server/port pairs as "client server port", services, their sources and DNAT backends as
   * serviceTally.ts and tableAggregator.ts write them. All one-word keys stay a typed array.
   */
  private topState(which: number, kind: KeyKind): TopKState<number | string> {
    const { wasm } = this;
    const buffer = wasm.memory.buffer;
    const field = (name: keyof typeof TOP_FIELD) => wasm.top_field(which, TOP_FIELD[name]);
    const size = field('size');
    const words = new Uint32Array(buffer, field('words'), size);
    const state = {
      capacity: field('capacity'),
      floor: wasm.top_floor(which),
      counts: new Uint32Array(buffer, field('counts'), size),
      errors: new Uint32Array(buffer, field('errors'), size),
    };
    if (kind === 'number') return { ...state, keys: words };
    if (kind === 'address' || kind === 'prefix')
      return {
        ...state,
        keys:
          field('wideKeys') === 0
            ? new Int32Array(buffer, field('words'), size)
            : this.wideKeys(which, kind, size),
      };
    return { ...state, keys: this.keyTexts(which, kind, size) };
  }

  /** A detector list's keys, as text the engine wrote (key_texts). */
  private keyTexts(which: number, kind: keyof typeof KEY_TEXT, size: number): string[] {
    if (size === 0) return [];
    const length = this.wasm.key_texts(which, KEY_TEXT[kind]);
    // The engine writes the text of its detector lists only (their buffer is sized for them).
    if (length === 0) throw new Error(`top list ${which} is not a detector list`);
    return Buffer.from(this.wasm.memory.buffer, this.wasm.result(RESULT.keyTexts), length)
      .toString('latin1')
      .split('\n');
  }

  /** An address or prefix list that met IPv6 keys: IPv4 ones stay integers, IPv6 ones become RFC 5952 text. */
  private wideKeys(which: number, kind: 'address' | 'prefix', size: number): (number | string)[] {
    const { wasm } = this;
    const buffer = wasm.memory.buffer;
    const field = (name: keyof typeof TOP_FIELD) => wasm.top_field(which, TOP_FIELD[name]);
    const lengths = new Uint8Array(buffer, field('lengths'), size);
    const words = new Uint32Array(buffer, field('words'), size);
    const restStride = field('restStride');
    const rest = new Uint32Array(buffer, field('rest'), size * restStride);
    return Array.from({ length: size }, (_, slot) => {
      if (lengths[slot] === 1) return words[slot]! | 0;
      const from = slot * restStride;
      return kind === 'prefix'
        ? `${formatIPv6Groups(groupsOf([words[slot]!, rest[from]!, 0, 0]))}/64`
        : formatIPv6Groups(groupsOf([words[slot]!, rest[from]!, rest[from + 1]!, rest[from + 2]!]));
    });
  }

  /** Calls back with (slot, pool index) for each tracked key that has data attached. */
  private forAttached(which: number, visit: (slot: number, index: number) => void): void {
    const { wasm } = this;
    const size = wasm.top_field(which, TOP_FIELD.size);
    const attached = new Int32Array(wasm.memory.buffer, wasm.top_field(which, TOP_FIELD.attached), size);
    for (let slot = 0; slot < size; slot++) if (attached[slot]! >= 0) visit(slot, attached[slot]!);
  }
}

function abiText(version: number | undefined): string {
  return version === undefined ? 'none' : `0x${version.toString(16).padStart(8, '0')}`;
}

/** Eight 16-bit groups from four big-endian words. */
function groupsOf(words: readonly number[]): number[] {
  return words.flatMap((word) => [word >>> 16, word & 0xffff]);
}
