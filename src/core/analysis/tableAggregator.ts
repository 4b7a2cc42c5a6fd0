import { type AddressKey, formatAddress, prefixKey } from '../table/address.js';
import {
  type ConntrackEntry,
  FLAG,
  FLAG_NAMES,
  type NatKind,
  natKind,
  protocolName,
} from '../table/entry.js';
import { type FieldName, fieldText } from './entryFields.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../plan/timeoutDefaults.js';
import { hashKey, mix32 } from './hash.js';
import { HyperLogLog } from './hyperLogLog.js';
import { IDLE_LONG_SECONDS, SIGNAL_CAPACITY } from './engineAbi.js';
import {
  SPREAD_AFTER,
  SPREAD_PRECISION,
  ServiceTally,
  type ServiceTallyState,
  serviceKey,
} from './serviceTally.js';
import { TopK, type TopKState } from './topK.js';

/** Remaining-timeout histogram buckets (upper bounds, seconds) and their labels. */
export const TIMEOUT_BUCKETS: ReadonlyArray<[number, string]> = [
  [10, '<10s'],
  [60, '10s-1m'],
  [300, '1m-5m'],
  [3600, '5m-1h'],
  [86400, '1h-1d'],
  [Number.POSITIVE_INFINITY, '>1d'],
];

/** UDP services abused for reflection/amplification: chargen, DNS, NTP, CLDAP, SSDP, memcached. */
export const REFLECTION_PORTS: readonly number[] = [19, 53, 123, 389, 1900, 11211];

/** An ESTABLISHED entry with more than this left is "long-lived" (idle pool, leak). */
export const LONG_REMAINING_SECONDS = 3600;
/**
 * An ESTABLISHED entry silent IDLE_LONG_SECONDS (an hour) is idle, not merely open: no keep-alive of
 * a common pool is that far apart (they probe every few minutes), yet it is far below the kernel's 5 days.
 */
export { IDLE_LONG_SECONDS };
/** The established timeout idle times are measured against when the run is given none. */
export const DEFAULT_ESTABLISHED_TIMEOUT_SECONDS = KERNEL_DEFAULT_TIMEOUTS.tcp_timeout_established!;
const ESTABLISHED_HOUR_BUCKETS = 121; // remaining timeout in hours, 0..120 (the 5-day default)

const NAT_INDEX: Record<NatKind, number> = { none: 0, snat: 1, dnat: 2, both: 3 };

/** Source port → 1 + index in REFLECTION_PORTS (0 = not a reflection port): no search per entry. */
const REFLECTION_INDEX = new Uint8Array(65536);
REFLECTION_PORTS.forEach((port, index) => {
  REFLECTION_INDEX[port] = index + 1;
});

export interface AggregatorOptions {
  /** Keys counted exactly per top-K table before Space-Saving starts evicting (2× this are kept). */
  capacity: number;
  groupBy?: FieldName[];
  /**
   * nf_conntrack_tcp_timeout_established of the table's namespace (idle = this − remaining);
   * DEFAULT_ESTABLISHED_TIMEOUT_SECONDS for a saved dump.
   */
  establishedTimeoutSeconds?: number;
}

export interface StateTally {
  entries: number;
  remaining: Float64Array;
}

interface SourceSpread {
  ports: HyperLogLog;
  hosts: HyperLogLog;
}

interface PairStats {
  longLived: number;
  remainingSum: number;
  /** Entries with a printed timeout (offloaded flows print none and are not idle): idle is over these. */
  timed: number;
  idleLong: number;
  idleSum: number;
  /** Infinity until a timed entry is counted. */
  idleMin: number;
}

interface BackendStats {
  unreplied: number;
  remainingSum: number;
}

export interface AggregatorState {
  entries: number;
  l3: number[];
  proto: Float64Array;
  states: [string, number, Float64Array][];
  flags: Float64Array;
  nat: number[];
  tcpDport: Float64Array;
  udpDport: Float64Array;
  otherDport: [string, number][];
  hllSrc: Uint8Array;
  hllDst: Uint8Array;
  zones: TopKState<number>;
  marks: TopKState<number>;
  src: TopKState<AddressKey>;
  dst: TopKState<AddressKey>;
  srcPrefix: TopKState<AddressKey>;
  groups: TopKState<string> | null;
  scan: TopKState<AddressKey>;
  scanSpread: [AddressKey, Uint8Array, Uint8Array][];
  udpUnrepliedDport: Float64Array;
  hllUdpUnrepliedSrc: Uint8Array;
  reflectionSport: Float64Array;
  reflectionSrc: TopKState<AddressKey>;
  established: TopKState<string>;
  /** key, longLived, remainingSum, timed, idleLong, idleSum, idleMin */
  pairStats: [string, number, number, number, number, number, number][];
  establishedRemainingHours: Float64Array;
  unrepliedServices: ServiceTallyState;
  repliedServices: TopKState<string>;
  timeWaitServices: ServiceTallyState;
  natBackends: TopKState<string>;
  /** key, unreplied, remainingSum */
  backendStats: [string, number, number][];
}

/** One pass over a table: every breakdown, top list, distinct count and detector signal at once. */
export class TableAggregator {
  entries = 0;
  readonly l3 = [0, 0];
  readonly proto = new Float64Array(256);
  /** Per state (or protocol name for stateless protocols): entries and remaining-timeout histogram. */
  readonly states = new Map<string, StateTally>();
  private lastState = '';
  private lastTally: StateTally | null = null;
  readonly flags = new Float64Array(16);
  readonly nat = [0, 0, 0, 0];
  tcpDport: Float64Array = new Float64Array(65536);
  udpDport: Float64Array = new Float64Array(65536);
  readonly otherDport = new Map<string, number>();
  readonly hllSrc = new HyperLogLog(14);
  readonly hllDst = new HyperLogLog(14);
  readonly zones = new TopK<number>(1024);
  readonly marks = new TopK<number>(1024);
  readonly src: TopK<AddressKey>;
  readonly dst: TopK<AddressKey>;
  readonly srcPrefix: TopK<AddressKey>;
  readonly groups: TopK<string> | null;
  // Detector signals.
  readonly scan = new TopK<AddressKey>(SIGNAL_CAPACITY);
  readonly scanSpread = new Map<AddressKey, SourceSpread>();
  udpUnrepliedDport: Float64Array = new Float64Array(65536);
  readonly hllUdpUnrepliedSrc = new HyperLogLog(12);
  readonly reflectionSport = new Float64Array(REFLECTION_PORTS.length);
  readonly reflectionSrc = new TopK<AddressKey>(SIGNAL_CAPACITY);
  readonly established = new TopK<string>(SIGNAL_CAPACITY);
  readonly pairStats = new Map<string, PairStats>();
  readonly establishedRemainingHours = new Float64Array(ESTABLISHED_HOUR_BUCKETS);
  readonly establishedTimeoutSeconds: number;
  /** UNREPLIED tcp/udp entries by service (serviceKey) and by service and source. */
  readonly unrepliedServices = new ServiceTally();
  /** tcp/udp entries that saw a reply, by service: what an unreplied service did answer. */
  readonly repliedServices = new TopK<string>(SIGNAL_CAPACITY);
  /** TIME_WAIT entries by service (tcp) and by service and source. */
  readonly timeWaitServices = new ServiceTally();
  /** DNAT'd tcp/udp entries keyed "proto vip port backend backendPort". */
  readonly natBackends = new TopK<string>(SIGNAL_CAPACITY);
  readonly backendStats = new Map<string, BackendStats>();

  constructor(readonly options: AggregatorOptions) {
    this.establishedTimeoutSeconds = options.establishedTimeoutSeconds ?? DEFAULT_ESTABLISHED_TIMEOUT_SECONDS;
    this.src = new TopK(options.capacity);
    this.dst = new TopK(options.capacity);
    this.srcPrefix = new TopK(options.capacity);
    this.groups = options.groupBy && options.groupBy.length > 0 ? new TopK(options.capacity) : null;
    this.scan.onEvict = (key) => this.scanSpread.delete(key);
    this.established.onEvict = (key) => this.pairStats.delete(key);
    this.natBackends.onEvict = (key) => this.backendStats.delete(key);
  }

  add(entry: ConntrackEntry): void {
    this.entries++;
    const { orig } = entry;
    const protoNum = entry.protoNum;
    this.l3[entry.l3 === 6 ? 1 : 0]!++;
    this.proto[protoNum]!++;
    const state = entry.state || protocolName(protoNum);
    const tally = this.stateTally(state);
    tally.entries++;

    this.flags[entry.flags & 15]!++;
    const nat = NAT_INDEX[natKind(entry)];
    this.nat[nat]!++;
    this.zones.add(Math.max(entry.zone, 0));
    this.marks.add(Math.max(entry.mark, 0));

    this.src.add(orig.src);
    this.dst.add(orig.dst);
    this.srcPrefix.add(prefixKey(orig.src));
    const srcHash = typeof orig.src === 'number' ? mix32(orig.src) : hashKey(orig.src);
    const dstHash = typeof orig.dst === 'number' ? mix32(orig.dst) : hashKey(orig.dst);
    this.hllSrc.addHash(srcHash);
    this.hllDst.addHash(dstHash);
    if (protoNum === 6) this.tcpDport[orig.dport]!++;
    else if (protoNum === 17) this.udpDport[orig.dport]!++;
    else if (orig.dport >= 0 && protoNum !== 1 && protoNum !== 58 && protoNum !== 47) {
      const key = `${protocolName(protoNum)}/${orig.dport}`;
      this.otherDport.set(key, (this.otherDport.get(key) ?? 0) + 1);
    }

    if (entry.timeoutSeconds >= 0) {
      let bucket = 0;
      while (entry.timeoutSeconds >= TIMEOUT_BUCKETS[bucket]![0]) bucket++;
      tally.remaining[bucket]!++;
    }
    if (this.groups) this.groups.add(this.options.groupBy!.map((field) => fieldText(entry, field)).join(' '));

    const unreplied = (entry.flags & FLAG.UNREPLIED) !== 0;
    if (unreplied || (protoNum === 6 && entry.state === 'SYN_SENT')) this.addScanSignal(entry, dstHash);
    if (protoNum === 17 && unreplied) this.addUdpSignal(entry, srcHash);
    if (protoNum === 6 && entry.state === 'ESTABLISHED') this.addEstablished(entry);
    if (protoNum === 6 || protoNum === 17) this.addServiceSignals(entry, unreplied, nat, srcHash);
  }

  /** The class-conditional tallies of a tcp/udp entry: its keys are built only for the classes it is in. */
  private addServiceSignals(entry: ConntrackEntry, unreplied: boolean, nat: number, srcHash: number): void {
    const { orig } = entry;
    const service = serviceKey(entry.protoNum, orig.dst, orig.dport);
    if (unreplied) this.unrepliedServices.add(service, orig.src, srcHash);
    else this.repliedServices.add(service);
    if (entry.protoNum === 6 && entry.state === 'TIME_WAIT')
      this.timeWaitServices.add(service, orig.src, srcHash);
    if (nat >= NAT_INDEX.dnat) this.addNatBackend(entry, service, unreplied);
  }

  private addNatBackend(entry: ConntrackEntry, service: string, unreplied: boolean): void {
    const { reply } = entry;
    const key = `${service} ${formatAddress(reply.src)} ${reply.sport}`;
    this.natBackends.add(key);
    let stats = this.backendStats.get(key);
    if (!stats) {
      stats = { unreplied: 0, remainingSum: 0 };
      this.backendStats.set(key, stats);
    }
    if (unreplied) stats.unreplied++;
    stats.remainingSum += Math.max(entry.timeoutSeconds, 0);
  }

  private stateTally(state: string): StateTally {
    if (state === this.lastState && this.lastTally) return this.lastTally;
    let tally = this.states.get(state);
    if (!tally) {
      tally = { entries: 0, remaining: new Float64Array(TIMEOUT_BUCKETS.length) };
      this.states.set(state, tally);
    }
    this.lastState = state;
    this.lastTally = tally;
    return tally;
  }

  private addScanSignal(entry: ConntrackEntry, dstHash: number): void {
    const src = entry.orig.src;
    this.scan.add(src);
    let spread = this.scanSpread.get(src);
    if (!spread) {
      if (this.scan.guaranteedCountOf(src) < SPREAD_AFTER) return;
      spread = { ports: new HyperLogLog(SPREAD_PRECISION), hosts: new HyperLogLog(SPREAD_PRECISION) };
      this.scanSpread.set(src, spread);
    }
    spread.ports.addHash(mix32(entry.orig.dport * 257 + entry.protoNum));
    spread.hosts.addHash(dstHash);
  }

  private addUdpSignal(entry: ConntrackEntry, srcHash: number): void {
    const { src, sport, dport } = entry.orig;
    this.hllUdpUnrepliedSrc.addHash(srcHash);
    this.udpUnrepliedDport[dport]!++;
    const reflection = REFLECTION_INDEX[sport]! - 1;
    if (reflection >= 0) {
      this.reflectionSport[reflection]!++;
      this.reflectionSrc.add(src);
    }
  }

  private addEstablished(entry: ConntrackEntry): void {
    const { src, dst, dport } = entry.orig;
    const key = `${formatAddress(src)} ${formatAddress(dst)} ${dport}`;
    this.established.add(key);
    let stats = this.pairStats.get(key);
    if (!stats) {
      stats = { longLived: 0, remainingSum: 0, timed: 0, idleLong: 0, idleSum: 0, idleMin: Infinity };
      this.pairStats.set(key, stats);
    }
    const remaining = Math.max(entry.timeoutSeconds, 0);
    stats.remainingSum += remaining;
    if (remaining > LONG_REMAINING_SECONDS) stats.longLived++;
    if (entry.timeoutSeconds >= 0) {
      // The kernel re-arms the timer to the full timeout on every packet (nf_conntrack_proto_tcp.c).
      const idle = Math.max(this.establishedTimeoutSeconds - remaining, 0);
      stats.timed++;
      stats.idleSum += idle;
      if (idle >= IDLE_LONG_SECONDS) stats.idleLong++;
      if (idle < stats.idleMin) stats.idleMin = idle;
    }
    this.establishedRemainingHours[Math.min(Math.floor(remaining / 3600), ESTABLISHED_HOUR_BUCKETS - 1)]!++;
  }

  toState(): AggregatorState {
    return {
      entries: this.entries,
      l3: [...this.l3],
      proto: this.proto,
      states: [...this.states].map(([state, tally]) => [state, tally.entries, tally.remaining]),
      flags: this.flags,
      nat: [...this.nat],
      tcpDport: ownedArray(this.tcpDport),
      udpDport: ownedArray(this.udpDport),
      otherDport: [...this.otherDport],
      hllSrc: this.hllSrc.registers,
      hllDst: this.hllDst.registers,
      zones: this.zones.toState(),
      marks: this.marks.toState(),
      src: this.src.toState(),
      dst: this.dst.toState(),
      srcPrefix: this.srcPrefix.toState(),
      groups: this.groups?.toState() ?? null,
      scan: this.scan.toState(),
      scanSpread: [...this.scanSpread].map(([key, spread]) => [
        key,
        spread.ports.registers,
        spread.hosts.registers,
      ]),
      udpUnrepliedDport: ownedArray(this.udpUnrepliedDport),
      hllUdpUnrepliedSrc: this.hllUdpUnrepliedSrc.registers,
      reflectionSport: this.reflectionSport,
      reflectionSrc: this.reflectionSrc.toState(),
      established: this.established.toState(),
      pairStats: [...this.pairStats].map(([key, s]) => [
        key,
        s.longLived,
        s.remainingSum,
        s.timed,
        s.idleLong,
        s.idleSum,
        s.idleMin,
      ]),
      establishedRemainingHours: this.establishedRemainingHours,
      unrepliedServices: this.unrepliedServices.toState(),
      repliedServices: this.repliedServices.toState(),
      timeWaitServices: this.timeWaitServices.toState(),
      natBackends: this.natBackends.toState(),
      backendStats: [...this.backendStats].map(([key, s]) => [key, s.unreplied, s.remainingSum]),
    };
  }

  /**
   * Adds the state of an aggregator that saw another part of the same table. Into one still empty
   * (the usual case: everything came from the engine), the 64k-port arrays of `other` are taken
   * over, not copied (writing 1.5 MB of fresh pages cost ~10 ms of page faults on a VM), so `other`
   * must not change once merged: an engine's summary is taken after its last input. The sketches
   * are copied natively instead of maxed register by register in code that has not warmed up yet.
   */
  merge(other: AggregatorState): void {
    const empty = this.entries === 0;
    const mergeSketch = (target: HyperLogLog, registers: Uint8Array) =>
      empty ? target.registers.set(registers) : target.merge(new HyperLogLog(target.precision, registers));
    this.entries += other.entries;
    addInto(this.l3, other.l3);
    addInto(this.proto, other.proto);
    for (const [state, entries, remaining] of other.states) {
      const tally = this.stateTally(state);
      tally.entries += entries;
      addInto(tally.remaining, remaining);
    }
    addInto(this.flags, other.flags);
    addInto(this.nat, other.nat);
    if (empty) {
      this.tcpDport = other.tcpDport;
      this.udpDport = other.udpDport;
      this.udpUnrepliedDport = other.udpUnrepliedDport;
    } else {
      addInto(this.tcpDport, other.tcpDport);
      addInto(this.udpDport, other.udpDport);
      addInto(this.udpUnrepliedDport, other.udpUnrepliedDport);
    }
    for (const [key, count] of other.otherDport)
      this.otherDport.set(key, (this.otherDport.get(key) ?? 0) + count);
    mergeSketch(this.hllSrc, other.hllSrc);
    mergeSketch(this.hllDst, other.hllDst);
    this.zones.mergeState(other.zones);
    this.marks.mergeState(other.marks);
    this.src.mergeState(other.src);
    this.dst.mergeState(other.dst);
    this.srcPrefix.mergeState(other.srcPrefix);
    if (this.groups && other.groups) this.groups.mergeState(other.groups);
    this.mergeSignals(other, mergeSketch);
  }

  /** The detector signals of merge(). */
  private mergeSignals(
    other: AggregatorState,
    mergeSketch: (target: HyperLogLog, registers: Uint8Array) => void,
  ): void {
    for (const [key, ports, hosts] of other.scanSpread) {
      const mine = this.scanSpread.get(key);
      if (mine) {
        mine.ports.merge(new HyperLogLog(SPREAD_PRECISION, ports));
        mine.hosts.merge(new HyperLogLog(SPREAD_PRECISION, hosts));
      } else {
        this.scanSpread.set(key, {
          ports: new HyperLogLog(SPREAD_PRECISION, Uint8Array.from(ports)),
          hosts: new HyperLogLog(SPREAD_PRECISION, Uint8Array.from(hosts)),
        });
      }
    }
    this.scan.mergeState(other.scan);
    mergeSketch(this.hllUdpUnrepliedSrc, other.hllUdpUnrepliedSrc);
    addInto(this.reflectionSport, other.reflectionSport);
    this.reflectionSrc.mergeState(other.reflectionSrc);
    for (const [key, longLived, remainingSum, timed, idleLong, idleSum, idleMin] of other.pairStats) {
      const mine = this.pairStats.get(key);
      if (mine) {
        mine.longLived += longLived;
        mine.remainingSum += remainingSum;
        mine.timed += timed;
        mine.idleLong += idleLong;
        mine.idleSum += idleSum;
        mine.idleMin = Math.min(mine.idleMin, idleMin);
      } else this.pairStats.set(key, { longLived, remainingSum, timed, idleLong, idleSum, idleMin });
    }
    this.established.mergeState(other.established);
    addInto(this.establishedRemainingHours, other.establishedRemainingHours);
    this.unrepliedServices.merge(other.unrepliedServices);
    this.repliedServices.mergeState(other.repliedServices);
    this.timeWaitServices.merge(other.timeWaitServices);
    for (const [key, unreplied, remainingSum] of other.backendStats) {
      const mine = this.backendStats.get(key);
      if (mine) {
        mine.unreplied += unreplied;
        mine.remainingSum += remainingSum;
      } else this.backendStats.set(key, { unreplied, remainingSum });
    }
    this.natBackends.mergeState(other.natBackends);
  }
}

/**
 * The array itself, or a copy when it is a view into a larger buffer (an engine's memory, taken over
 * by merge): a state is posted between threads, and posting a view posts its whole buffer.
 */
function ownedArray(values: Float64Array): Float64Array {
  return values.byteOffset === 0 && values.byteLength === values.buffer.byteLength ? values : values.slice();
}

function addInto(target: Float64Array | number[], source: ArrayLike<number>): void {
  // 64k-slot port arrays: a typed loop is several times faster than the generic one.
  if (target instanceof Float64Array && source instanceof Float64Array) {
    for (let i = 0; i < source.length; i++) target[i]! += source[i]!;
    return;
  }
  for (let i = 0; i < source.length; i++) target[i] = (target[i] ?? 0) + source[i]!;
}

/** Flag combinations counted as single flags ("how many entries are UNREPLIED"). */
export function flagTotals(flags: Float64Array): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [bit, name] of FLAG_NAMES) {
    let sum = 0;
    for (let combo = 0; combo < flags.length; combo++) if (combo & bit) sum += flags[combo]!;
    if (sum > 0) totals[name] = sum;
  }
  if (flags[0]! > 0) totals.none = flags[0]!;
  return totals;
}
