import { FLAG, type ConntrackEntry } from '../table/entry.js';
import type { FlowClassName } from './flowClasses.js';
import { FLOW_CLASSES } from './flowClasses.js';
import type { ClassLoad } from './steadyStateEntries.js';

/**
 * `plan --from-live`: the load read off a running namespace. Arrival rates per protocol come from
 * ctnetlink NEW events (exact counts, as `top` takes them; the stat file's `new`/`insert` stay 0 on
 * current kernels); the split into classes comes from the table, where an entry's state and flags
 * say how it ends and its remaining timeout says when it last saw a packet.
 */

/** Where an entry of the live table stands: a class, and the timeout its timer runs on now. */
export interface ObservedClass {
  name: FlowClassName;
  /** Sysctl short name of the timeout the entry's timer was last set to. */
  timeout: string;
  /** A kept-open TCP connection still open (not yet closing). */
  open: boolean;
}

const PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

/**
 * The class of an entry by what the kernel shows: SYN_SENT is a SYN nobody answered yet; any other
 * TCP state is an answered connection, open (ESTABLISHED, SYN_RECV) or closing (TIME_WAIT, FIN_WAIT…);
 * UDP is a query until ASSURED (traffic both ways beyond 2 s), then a stream.
 */
export function observedClassOf(entry: ConntrackEntry): ObservedClass | null {
  if (entry.protoNum === PROTO.tcp) {
    if (entry.state === 'SYN_SENT')
      return { name: 'tcp-unanswered', timeout: 'tcp_timeout_syn_sent', open: false };
    const open = entry.state === 'ESTABLISHED' || entry.state === 'SYN_RECV';
    return { name: 'tcp-short', timeout: `tcp_timeout_${entry.state.toLowerCase()}`, open };
  }
  if (entry.protoNum === PROTO.udp)
    return (entry.flags & FLAG.ASSURED) !== 0
      ? { name: 'udp-stream', timeout: 'udp_timeout_stream', open: false }
      : { name: 'udp-query', timeout: 'udp_timeout', open: false };
  if (entry.protoNum === PROTO.icmp) return { name: 'icmp', timeout: 'icmp_timeout', open: false };
  if (entry.protoNum === PROTO.icmpv6) return { name: 'icmp', timeout: 'icmpv6_timeout', open: false };
  return null;
}

export interface ClassProfile {
  entries: number;
  /** Of those, still open (answered TCP not yet closing). */
  open: number;
  /**
   * Entries per second that entered the class lately: an entry whose timer was set less than
   * min(window, its timeout) ago counts 1 / that span (a window longer than the timeout would
   * otherwise see only the entries still there, not every arrival).
   */
  recentPerSecond: number;
}

/** The live table per class: how many entries, how many open, how fast they arrive. */
export class TableProfile {
  readonly classes = new Map<FlowClassName, ClassProfile>();
  other = 0;

  constructor(
    private readonly windowSeconds: number,
    private readonly timeoutSeconds: (name: string) => number,
  ) {}

  add(entry: ConntrackEntry): void {
    const observed = observedClassOf(entry);
    if (!observed) {
      this.other++;
      return;
    }
    const profile = this.classes.get(observed.name) ?? { entries: 0, open: 0, recentPerSecond: 0 };
    profile.entries++;
    if (observed.open) profile.open++;
    // The kernel resets the timer to the state's timeout on every packet: idle = timeout − remaining.
    const timeout = this.timeoutSeconds(observed.timeout);
    const span = Math.min(this.windowSeconds, timeout);
    if (entry.timeoutSeconds >= 0 && span > 0 && timeout - entry.timeoutSeconds < span)
      profile.recentPerSecond += 1 / span;
    this.classes.set(observed.name, profile);
  }

  of(name: FlowClassName): ClassProfile {
    return this.classes.get(name) ?? { entries: 0, open: 0, recentPerSecond: 0 };
  }
}

export interface NewFlowCounts {
  windowSeconds: number;
  /** NEW events per protocol over the window. */
  tcp: number;
  udp: number;
  icmp: number;
}

export interface LiveLoad {
  load: ClassLoad[];
  /** Entries of a class seen in the table with no arrivals measured: held longer than the window. */
  unexplained: { name: FlowClassName; entries: number }[];
}

/**
 * Per-class rates and lives from the NEW events and the table:
 * - tcp-unanswered and udp-query wait out a timeout after one exchange, so their rate is the rate at
 *   which entries entered them (TableProfile.recentPerSecond), bounded by the protocol's NEW events;
 * - every other TCP arrival is an answered connection (one row, tcp-short): Little's law needs only
 *   the mean life, which is read backwards from the open entries: life = open entries / rate. Short
 *   and long connections cannot be told apart live without following each one;
 * - the rest of the UDP arrivals are streams (when the table holds any): life = entries / rate −
 *   the stream timeout;
 * - icmp: its NEW events.
 */
export function liveLoad(
  counts: NewFlowCounts,
  profile: TableProfile,
  timeoutSeconds: (name: string) => number,
): LiveLoad {
  const w = counts.windowSeconds;
  const unanswered = Math.min(profile.of('tcp-unanswered').recentPerSecond, counts.tcp / w);
  // Without an ASSURED entry there is no stream: every UDP arrival is a query (the table's recent
  // rate and the NEW events differ by their noise, which would otherwise invent a stream class).
  const streams = profile.of('udp-stream').entries > 0;
  const query = streams ? Math.min(profile.of('udp-query').recentPerSecond, counts.udp / w) : counts.udp / w;
  const answered = counts.tcp / w - unanswered;
  const stream = counts.udp / w - query;
  const streamLife = (rate: number) =>
    Math.max(0, profile.of('udp-stream').entries / rate - timeoutSeconds('udp_timeout_stream'));
  const rows: [FlowClassName, number, number | null][] = [
    ['tcp-short', answered, answered > 0 ? profile.of('tcp-short').open / answered : null],
    ['tcp-unanswered', unanswered, null],
    ['udp-query', query, null],
    ['udp-stream', stream, stream > 0 ? streamLife(stream) : null],
    ['icmp', counts.icmp / w, null],
  ];
  const load: ClassLoad[] = [];
  const unexplained: LiveLoad['unexplained'] = [];
  for (const [name, ratePerSecond, measuredLife] of rows) {
    const { entries } = profile.of(name);
    if (ratePerSecond <= 1e-9) {
      if (entries > 0) unexplained.push({ name, entries });
      continue;
    }
    load.push({
      name,
      ratePerSecond,
      lifeSeconds: measuredLife ?? FLOW_CLASSES[name].defaultLifeSeconds,
      lifeSource: measuredLife === null ? 'default' : 'measured',
      observedEntries: entries,
    });
  }
  return { load, unexplained };
}
