import { FLAG, type ConntrackEntry } from '../table/entry.js';

/** Which entries a timeout governs (nf_conntrack_proto_*.c). */
export function entryUsesTimeout(entry: ConntrackEntry, name: string): boolean {
  const proto = entry.protoNum;
  const tcpState = name.match(/^tcp_timeout_(.+)$/)?.[1];
  if (tcpState) {
    if (proto !== 6) return false;
    if (tcpState === 'unacknowledged' || tcpState === 'max_retrans') return false; // retransmission states are not visible in the table
    return entry.state === tcpState.toUpperCase();
  }
  if (name === 'udp_timeout') return proto === 17 && (entry.flags & FLAG.ASSURED) === 0;
  if (name === 'udp_timeout_stream') return proto === 17 && (entry.flags & FLAG.ASSURED) !== 0;
  if (name === 'icmp_timeout') return proto === 1;
  if (name === 'icmpv6_timeout') return proto === 58;
  if (name === 'generic_timeout') return ![1, 6, 17, 58, 132, 33, 47, 136].includes(proto);
  return false;
}

/** Ports of long-lived sessions a shorter timeout can cut: SSH, databases, brokers. */
export const PROTECTED_PORTS: Readonly<Record<number, string>> = {
  22: 'SSH',
  3306: 'MySQL',
  5432: 'PostgreSQL',
  6379: 'Redis',
  27017: 'MongoDB',
  9042: 'Cassandra',
  5672: 'AMQP',
  9092: 'Kafka',
  2181: 'ZooKeeper',
  11211: 'memcached',
};

export interface TimeoutImpact {
  name: string;
  currentSeconds: number;
  newSeconds: number;
  /** Entries governed by this timeout now. */
  governed: number;
  /** Of those, idle longer than the new timeout: they would already be gone under it. */
  idleBeyondNew: number;
  /** Governed entries on protected ports (SSH, databases…), by service. */
  protectedFlows: Record<string, number>;
}

/**
 * Idle time of an entry = current timeout − remaining, since the kernel resets the timer to the
 * timeout on every packet. Lowering the sysctl does not touch existing timers (seen on 6.18: an
 * entry kept its 54 s after udp_timeout went from 60 to 3); it applies from each entry's next packet.
 */
export class TimeoutImpactCounter {
  readonly impact: TimeoutImpact;

  constructor(
    name: string,
    currentSeconds: number,
    newSeconds: number,
    private readonly protectedPorts: Readonly<Record<number, string>>,
  ) {
    this.impact = { name, currentSeconds, newSeconds, governed: 0, idleBeyondNew: 0, protectedFlows: {} };
  }

  /** Returns true when the entry is idle beyond the new timeout (a candidate for --flush-idle). */
  add(entry: ConntrackEntry): boolean {
    if (!entryUsesTimeout(entry, this.impact.name)) return false;
    this.impact.governed++;
    const service = this.protectedPorts[entry.orig.dport];
    if (service) this.impact.protectedFlows[service] = (this.impact.protectedFlows[service] ?? 0) + 1;
    const idle = this.impact.currentSeconds - Math.max(entry.timeoutSeconds, 0);
    if (entry.timeoutSeconds >= 0 && idle > this.impact.newSeconds) {
      this.impact.idleBeyondNew++;
      return true;
    }
    return false;
  }
}

/**
 * Why shortening would be refused: a lower tcp_timeout_established while SSH, database or broker
 * flows exist would cut them once they sit idle that long. null when nothing protected is at risk.
 */
export function protectedFlowRefusal(impacts: TimeoutImpact[]): string | null {
  const risky = impacts.filter(
    (impact) =>
      impact.name === 'tcp_timeout_established' &&
      impact.newSeconds < impact.currentSeconds &&
      Object.keys(impact.protectedFlows).length > 0,
  );
  if (risky.length === 0) return null;
  const flows = risky.flatMap((impact) =>
    Object.entries(impact.protectedFlows).map(([service, count]) => `${count} ${service}`),
  );
  return `shorter ${risky.map((impact) => impact.name).join(', ')} would cut idle long-lived flows: ${flows.join(', ')} (--force to apply anyway)`;
}
