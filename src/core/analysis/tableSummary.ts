import { type AddressKey, formatAddress, formatPrefix } from '../table/address.js';
import { protocolName } from '../table/entry.js';
import { REFLECTION_PORTS, TIMEOUT_BUCKETS, type TableAggregator, flagTotals } from './tableAggregator.js';
import { type CountedPorts, countedPorts } from './countedPorts.js';
import { largestIndexes } from './largestIndexes.js';
import type { ServiceTally } from './serviceTally.js';
import type { TopItem, TopK } from './topK.js';

export interface RankedKey {
  key: string;
  count: number;
  /** Present when the count is an upper bound from Space-Saving: the true count is ≥ count − error. */
  error?: number;
}

export interface ScanCandidate {
  src: string;
  /** Entries of this source that are UNREPLIED or SYN_SENT. */
  entries: number;
  /** All entries of this source, 0 if it fell out of the top-source sketch. */
  totalEntries: number;
  distinctPorts: number;
  distinctHosts: number;
}

export interface EstablishedPair {
  client: string;
  server: string;
  port: number;
  entries: number;
  longLived: number;
  meanRemainingSeconds: number;
  /**
   * Entries of the pair silent at least IDLE_LONG_SECONDS: idle = the established timeout the run
   * was given (TableSignals.establishedTimeoutSeconds) − the entry's remaining timeout, at least 0.
   */
  idleLong: number;
  meanIdleSeconds: number;
  /** The idle time of the pair's most recently active entry (0 when one was touched just now). */
  minIdleSeconds: number;
}

/** A source's share of one class's entries to one service. */
export interface SourceShare {
  source: string;
  entries: number;
  /** Present when the count is a Space-Saving upper bound. */
  error?: number;
}

/** Entries of one class (UNREPLIED, TIME_WAIT) to one service, and the sources that create them. */
export interface ServiceClass {
  /** `address:port/proto`, an IPv6 address in brackets: `[::1]:53/udp`. */
  service: string;
  proto: string;
  destination: string;
  port: number;
  entries: number;
  error?: number;
  /** HyperLogLog estimate (exact below a few hundred), never more than entries. */
  distinctSources: number;
  /** This service's own busiest sources in this class, largest first, at most `limit`. */
  topSources: SourceShare[];
}

/** UNREPLIED entries to one service, beside the entries to it that did see a reply. */
export interface UnrepliedService extends ServiceClass {
  /** tcp/udp entries to the same service that saw a reply: 0 when it never answers. */
  answered: number;
}

/** DNAT'd entries of one service (original destination) to one backend (the reply's source). */
export interface NatBackend {
  /** The original destination, `VIP:port/proto`. */
  service: string;
  /** The reply's source, `address:port`. */
  backend: string;
  proto: string;
  vip: string;
  port: number;
  backendAddress: string;
  backendPort: number;
  entries: number;
  error?: number;
  /** Of them, entries the backend never answered. */
  unreplied: number;
  meanRemainingSeconds: number;
}

/** What the detectors read; also printed under `signals` in JSON for anyone who wants to dig. */
export interface TableSignals {
  unreplied: number;
  scanCandidates: ScanCandidate[];
  udpUnreplied: number;
  udpUnrepliedDistinctSources: number;
  udpUnrepliedPorts: RankedKey[];
  reflection: { bySourcePort: Record<string, number>; topSources: RankedKey[] };
  establishedPairs: EstablishedPair[];
  /** ESTABLISHED entries by whole hours of remaining timeout (index = hours, last bucket = 120+). */
  establishedRemainingHours: number[];
  /** The established timeout idle times were measured against (the live value, or the kernel default). */
  establishedTimeoutSeconds: number;
  /** UNREPLIED tcp/udp entries by (proto, destination, port), largest first. */
  unrepliedServices: UnrepliedService[];
  /** TIME_WAIT entries by (destination, port), largest first. */
  timeWaitServices: ServiceClass[];
  /** DNAT'd tcp/udp entries by (proto, original destination, port, backend), largest first. */
  natBackends: NatBackend[];
}

export interface TableSummary {
  entries: number;
  by: {
    l3: Record<string, number>;
    proto: Record<string, number>;
    state: Record<string, number>;
    flags: Record<string, number>;
    nat: Record<string, number>;
    zone: Record<string, number>;
    mark: Record<string, number>;
  };
  top: {
    src: RankedKey[];
    dst: RankedKey[];
    dport: RankedKey[];
    srcPrefix: RankedKey[];
    groupBy?: RankedKey[];
  };
  distinct: { src: number; dst: number; dport: number };
  /** True when every top list is exact (no key was ever evicted). */
  exact: boolean;
  timeouts: Record<string, Record<string, number>>;
  signals: TableSignals;
}

const ranked = <K>(items: TopItem<K>[], format: (key: K) => string): RankedKey[] =>
  items.map(({ key, count, error }) =>
    error > 0 ? { key: format(key), count, error } : { key: format(key), count },
  );

function sortedRecord(entries: Iterable<[string, number]>): Record<string, number> {
  return Object.fromEntries([...entries].filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]));
}

function topRecord(topK: TopK<number>, format: (key: number) => string = String): Record<string, number> {
  return Object.fromEntries(topK.top(20).map(({ key, count }) => [format(key), count]));
}

/** The `limit` busiest ports, ties in protocol then port order. */
function topPorts(arrays: [string, CountedPorts][], other: Map<string, number>, limit: number): RankedKey[] {
  const ranked: RankedKey[] = arrays.flatMap(([proto, { ports, counts }]) =>
    largestIndexes(counts, counts.length, limit).map((row) => ({
      key: `${proto}/${ports[row]!}`,
      count: counts[row]!,
    })),
  );
  for (const [key, count] of other) ranked.push({ key, count });
  return ranked.sort((a, b) => b.count - a.count).slice(0, limit);
}

const address = (key: AddressKey) => formatAddress(key);

/** Turns the aggregator's sketches into a plain, JSON-ready summary with `limit` rows per list. */
export function summarizeTable(agg: TableAggregator, limit: number): TableSummary {
  const tcpPorts = countedPorts(agg.tcpDport);
  const udpPorts = countedPorts(agg.udpDport);
  const tops = [agg.src, agg.dst, agg.srcPrefix, ...(agg.groups ? [agg.groups] : [])];
  const flags = flagTotals(agg.flags);
  return {
    entries: agg.entries,
    by: {
      l3: sortedRecord([
        ['ipv4', agg.l3[0]!],
        ['ipv6', agg.l3[1]!],
      ]),
      proto: sortedRecord([...agg.proto].map((count, num) => [protocolName(num), count])),
      state: sortedRecord([...agg.states].map(([state, tally]) => [state, tally.entries])),
      flags,
      nat: sortedRecord(['none', 'snat', 'dnat', 'both'].map((kind, i) => [kind, agg.nat[i]!])),
      zone: topRecord(agg.zones),
      mark: topRecord(agg.marks),
    },
    top: {
      src: ranked(agg.src.top(limit), address),
      dst: ranked(agg.dst.top(limit), address),
      dport: topPorts(
        [
          ['tcp', tcpPorts],
          ['udp', udpPorts],
        ],
        agg.otherDport,
        limit,
      ),
      srcPrefix: ranked(agg.srcPrefix.top(limit), formatPrefix),
      ...(agg.groups ? { groupBy: ranked(agg.groups.top(limit), (key) => key) } : {}),
    },
    distinct: {
      src: agg.hllSrc.estimate(),
      dst: agg.hllDst.estimate(),
      dport: tcpPorts.ports.length + udpPorts.ports.length + agg.otherDport.size,
    },
    exact: tops.every((top) => top.exact),
    timeouts: remainingTimeouts(agg),
    signals: tableSignals(agg, flags, limit),
  };
}

/** Entries by state and remaining timeout bucket, for the states that have any. */
function remainingTimeouts(agg: TableAggregator): Record<string, Record<string, number>> {
  const timeouts: Record<string, Record<string, number>> = {};
  for (const [state, tally] of agg.states) {
    if (tally.remaining.some((count) => count > 0)) {
      timeouts[state] = Object.fromEntries(
        TIMEOUT_BUCKETS.map(([, label], i) => [label, tally.remaining[i]!]),
      );
    }
  }
  return timeouts;
}

function tableSignals(agg: TableAggregator, flags: Record<string, number>, limit: number): TableSignals {
  const udpUnrepliedPorts = countedPorts(agg.udpUnrepliedDport);
  return {
    unreplied: flags.UNREPLIED ?? 0,
    scanCandidates: scanCandidates(agg, limit),
    udpUnreplied: udpUnrepliedPorts.total,
    udpUnrepliedDistinctSources: agg.hllUdpUnrepliedSrc.estimate(),
    udpUnrepliedPorts: topPorts([['udp', udpUnrepliedPorts]], new Map(), limit),
    reflection: {
      bySourcePort: Object.fromEntries(
        REFLECTION_PORTS.map((port, i) => [String(port), agg.reflectionSport[i]!]).filter(
          ([, count]) => Number(count) > 0,
        ),
      ),
      topSources: ranked(agg.reflectionSrc.top(limit), address),
    },
    establishedPairs: establishedPairs(agg, limit),
    establishedRemainingHours: Array.from(agg.establishedRemainingHours),
    establishedTimeoutSeconds: agg.establishedTimeoutSeconds,
    unrepliedServices: serviceClasses(agg.unrepliedServices, limit).map(([key, service]) => ({
      ...service,
      answered: agg.repliedServices.countOf(key),
    })),
    timeWaitServices: serviceClasses(agg.timeWaitServices, limit).map(([, service]) => service),
    natBackends: natBackends(agg, limit),
  };
}

/** Sources with the most UNREPLIED or SYN_SENT entries, with how many ports and hosts they reached. */
function scanCandidates(agg: TableAggregator, limit: number): ScanCandidate[] {
  return agg.scan.top(limit).map(({ key, count }) => {
    const spread = agg.scanSpread.get(key);
    return {
      src: formatAddress(key),
      entries: count,
      totalEntries: agg.src.countOf(key),
      distinctPorts: spread ? Math.min(spread.ports.estimate(), count) : 0,
      distinctHosts: spread ? Math.min(spread.hosts.estimate(), count) : 0,
    };
  });
}

/** The busiest ESTABLISHED client/server/port pairs, how many of them live long, their mean timeout left. */
function establishedPairs(agg: TableAggregator, limit: number): EstablishedPair[] {
  return agg.established.top(limit).map(({ key, count }) => {
    const [client = '', server = '', port = '0'] = key.split(' ');
    const stats = agg.pairStats.get(key);
    return {
      client,
      server,
      port: Number(port),
      entries: count,
      longLived: stats?.longLived ?? 0,
      meanRemainingSeconds: stats && count > 0 ? Math.round(stats.remainingSum / count) : 0,
      idleLong: stats?.idleLong ?? 0,
      meanIdleSeconds: stats && stats.timed > 0 ? Math.round(stats.idleSum / stats.timed) : 0,
      minIdleSeconds: stats && stats.timed > 0 ? stats.idleMin : 0,
    };
  });
}

/** `address:port`, an IPv6 address in brackets. */
const endpoint = (address: string, port: number | string) =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/**
 * The `limit` busiest services of a class, each with its own busiest sources. Distinct sources are
 * counted from the (service, source) list while it is exact, else from the service's sketch, which
 * misses only its first few entries (never below the sources the list does hold).
 */
function serviceClasses(tally: ServiceTally, limit: number): [string, ServiceClass][] {
  const services = tally.services.top(limit);
  const shares = new Map(services.map(({ key }) => [key, [] as SourceShare[]]));
  const held = new Map<string, number>();
  for (const { key, count, error } of tally.sources.top(tally.sources.size)) {
    const cut = key.lastIndexOf(' ');
    const service = key.slice(0, cut);
    const list = shares.get(service);
    if (!list) continue;
    held.set(service, (held.get(service) ?? 0) + 1);
    if (list.length >= limit) continue;
    const source = key.slice(cut + 1);
    list.push(error > 0 ? { source, entries: count, error } : { source, entries: count });
  }
  return services.map(({ key, count, error }) => {
    const [protoNum = '0', destination = '', port = '0'] = key.split(' ');
    const proto = protocolName(Number(protoNum));
    const sources = held.get(key) ?? 0;
    const sketch = tally.sketches.get(key)?.estimate() ?? 0;
    const row: ServiceClass = {
      service: `${endpoint(destination, port)}/${proto}`,
      proto,
      destination,
      port: Number(port),
      entries: count,
      ...(error > 0 ? { error } : {}),
      distinctSources: tally.sources.exact ? sources : Math.min(count, Math.max(sources, sketch)),
      topSources: shares.get(key)!,
    };
    return [key, row];
  });
}

/** The busiest DNAT'd (service, backend) pairs, how many their backend never answered, their mean timeout left. */
function natBackends(agg: TableAggregator, limit: number): NatBackend[] {
  return agg.natBackends.top(limit).map(({ key, count, error }) => {
    const [protoNum = '0', vip = '', port = '0', backendAddress = '', backendPort = '0'] = key.split(' ');
    const proto = protocolName(Number(protoNum));
    const stats = agg.backendStats.get(key);
    return {
      service: `${endpoint(vip, port)}/${proto}`,
      backend: endpoint(backendAddress, backendPort),
      proto,
      vip,
      port: Number(port),
      backendAddress,
      backendPort: Number(backendPort),
      entries: count,
      ...(error > 0 ? { error } : {}),
      unreplied: stats?.unreplied ?? 0,
      meanRemainingSeconds: stats && count > 0 ? Math.round(stats.remainingSum / count) : 0,
    };
  });
}
