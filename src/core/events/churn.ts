import { TopK, type TopItem } from '../analysis/topK.js';
import { type AddressKey, formatAddress } from '../table/address.js';
import { hasPorts, protocolName } from '../table/entry.js';
import type { NetnsIdentity } from '../status.js';
import type { ConntrackEvent } from './eventLine.js';

/** One ranked key of an interval: new entries per second, and how far the sketch may overstate it. */
export interface ChurnRate {
  newPerSecond: number;
  /** Upper bound of the overstatement (Space-Saving error / interval); 0 while counts are exact. */
  errorPerSecond: number;
}

export interface SourceRate extends ChurnRate {
  source: string;
}

export interface DestinationRate extends ChurnRate {
  destination: string;
  /** null for protocols without ports (icmp, gre). */
  port: number | null;
  protocol: string;
}

export interface ProtocolRate extends ChurnRate {
  protocol: string;
}

/** One interval of `ctdoctor top`: who created entries, and where the table is heading. */
export interface TopInterval {
  schema: 'ctdoctor.top/v1';
  netns: NetnsIdentity;
  startedAt: string;
  intervalSeconds: number;
  newPerSecond: number;
  destroyPerSecond: number;
  /** new − destroy per second. */
  netGrowthPerSecond: number;
  /** ENOBUFS warnings in this interval: each one means the kernel dropped events (how many, it does not say). */
  lostEventWarnings: number;
  lostEventWarningsTotal: number;
  /** Netlink receive buffer conntrack asked for (-b), in bytes. */
  bufferBytes: number;
  table: { count: number; max: number } | null;
  /** At this interval's net growth; null when the table is not growing or its size is unknown. */
  secondsUntilFull: number | null;
  topSources: SourceRate[];
  topDestinations: DestinationRate[];
  byProtocol: ProtocolRate[];
}

/** What the events alone tell of an interval. */
export type ChurnSummary = Pick<
  TopInterval,
  | 'intervalSeconds'
  | 'newPerSecond'
  | 'destroyPerSecond'
  | 'netGrowthPerSecond'
  | 'topSources'
  | 'topDestinations'
  | 'byProtocol'
>;

/** Space-Saving keeps 2 × capacity keys: memory is bounded by the capacity, never by the event rate. */
export const KEYS_PER_LIST = 1024;

/** The counts behind a ChurnSummary, before they are divided by a span: what a log without timestamps has. */
export interface ChurnTally {
  created: number;
  destroyed: number;
  topSources: TopItem<string>[];
  topDestinations: TopItem<{ destination: string; port: number | null; protocol: string }>[];
  byProtocol: TopItem<string>[];
}

/**
 * Counts NEW and DESTROY events in bounded memory: three Space-Saving lists (src/core/analysis/topK.ts)
 * of `capacity` keys each and two counters, whatever the event rate. `top` uses one per interval;
 * `analyze` one for a whole saved log.
 */
export class ChurnCounter {
  private readonly sources: TopK<AddressKey>;
  private readonly destinations: TopK<string>;
  private readonly protocols = new TopK<number>(256);
  created = 0;
  destroyed = 0;

  constructor(capacity = KEYS_PER_LIST) {
    this.sources = new TopK<AddressKey>(capacity);
    this.destinations = new TopK<string>(capacity);
  }

  add(event: ConntrackEvent): void {
    if (event.kind === 'DESTROY') {
      this.destroyed++;
      return;
    }
    if (event.kind !== 'NEW') return;
    this.created++;
    this.sources.add(event.source);
    const port = hasPorts(event.protoNum) ? event.destinationPort : -1;
    this.destinations.add(`${event.protoNum}|${port}|${formatAddress(event.destination)}`);
    this.protocols.add(event.protoNum);
  }

  /** The counts; `top` rows per list. */
  tally(top: number): ChurnTally {
    return {
      created: this.created,
      destroyed: this.destroyed,
      topSources: this.sources.top(top).map((item) => ({ ...item, key: formatAddress(item.key) })),
      topDestinations: this.destinations.top(top).map((item) => {
        const [protoNum, port, destination] = item.key.split('|') as [string, string, string];
        const key = {
          destination,
          port: port === '-1' ? null : Number(port),
          protocol: protocolName(Number(protoNum)),
        };
        return { ...item, key };
      }),
      byProtocol: this.protocols.top(top).map((item) => ({ ...item, key: protocolName(item.key) })),
    };
  }

  /** The interval's rates; `top` rows per list. */
  summarize(intervalSeconds: number, top: number): ChurnSummary {
    const tally = this.tally(top);
    const rate = (count: number) => count / intervalSeconds;
    const rates = (item: { count: number; error: number }): ChurnRate => ({
      newPerSecond: rate(item.count),
      errorPerSecond: rate(item.error),
    });
    return {
      intervalSeconds,
      newPerSecond: rate(tally.created),
      destroyPerSecond: rate(tally.destroyed),
      netGrowthPerSecond: rate(tally.created - tally.destroyed),
      topSources: tally.topSources.map((item) => ({ source: item.key, ...rates(item) })),
      topDestinations: tally.topDestinations.map((item) => ({ ...item.key, ...rates(item) })),
      byProtocol: tally.byProtocol.map((item) => ({ protocol: item.key, ...rates(item) })),
    };
  }
}

/** Seconds until `count` reaches `max` at `netGrowthPerSecond`; null when it is not growing. */
export function secondsUntilFull(count: number, max: number, netGrowthPerSecond: number): number | null {
  if (netGrowthPerSecond <= 0) return null;
  return Math.max(0, (max - count) / netGrowthPerSecond);
}
