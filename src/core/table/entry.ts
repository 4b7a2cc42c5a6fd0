import type { AddressKey } from './address.js';

/** Status flags printed in brackets by procfs and conntrack-tools. */
export const FLAG = { UNREPLIED: 1, ASSURED: 2, OFFLOAD: 4, HW_OFFLOAD: 8 } as const;
export const FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [FLAG.UNREPLIED, 'UNREPLIED'],
  [FLAG.ASSURED, 'ASSURED'],
  [FLAG.OFFLOAD, 'OFFLOAD'],
  [FLAG.HW_OFFLOAD, 'HW_OFFLOAD'],
];

/** Layer-4 protocol names as the kernel prints them (ct_seq_show / conntrack-tools). */
export const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  47: 'gre',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};

export function protocolName(protoNum: number): string {
  return PROTOCOL_NAMES[protoNum] ?? `unknown(${protoNum})`;
}

/** Protocols whose tuples carry ports: tcp, udp, dccp, sctp, udplite. */
export function hasPorts(protoNum: number): boolean {
  return protoNum === 6 || protoNum === 17 || protoNum === 132 || protoNum === 136 || protoNum === 33;
}

export interface Tuple {
  src: AddressKey;
  dst: AddressKey;
  /** Port, ICMP type or GRE source key; -1 when absent. */
  sport: number;
  /** Port, ICMP code or GRE destination key; -1 when absent. */
  dport: number;
  /** ICMP id; -1 otherwise. */
  icmpId: number;
  packets: number;
  bytes: number;
  zone: number;
}

/**
 * One conntrack entry. The streaming parser refills a single instance per line (no per-line
 * allocation); copy it (`cloneEntry`) to keep it.
 */
export interface ConntrackEntry {
  l3: 4 | 6;
  protoNum: number;
  /** Remaining lifetime in seconds; -1 when not printed (offloaded flows). */
  timeoutSeconds: number;
  /** TCP/SCTP/DCCP state name, '' for stateless protocols. */
  state: string;
  orig: Tuple;
  reply: Tuple;
  flags: number;
  mark: number;
  zone: number;
  use: number;
  deltaTimeSeconds: number;
  helper: string;
  secctx: string;
  labels: string;
}

function emptyTuple(): Tuple {
  return { src: 0, dst: 0, sport: -1, dport: -1, icmpId: -1, packets: -1, bytes: -1, zone: -1 };
}

export function createEntry(): ConntrackEntry {
  return {
    l3: 4,
    protoNum: 0,
    timeoutSeconds: -1,
    state: '',
    orig: emptyTuple(),
    reply: emptyTuple(),
    flags: 0,
    mark: -1,
    zone: -1,
    use: -1,
    deltaTimeSeconds: -1,
    helper: '',
    secctx: '',
    labels: '',
  };
}

export function cloneEntry(entry: ConntrackEntry): ConntrackEntry {
  return { ...entry, orig: { ...entry.orig }, reply: { ...entry.reply } };
}

export type NatKind = 'none' | 'snat' | 'dnat' | 'both';

/** NAT shows as a reply tuple that is not the inverse of the original. */
export function natKind(entry: ConntrackEntry): NatKind {
  const { orig, reply } = entry;
  // ICMP and GRE reuse the port slots for type/code and keys, which differ by direction anyway.
  const ports = hasPorts(entry.protoNum);
  const snat = reply.dst !== orig.src || (ports && reply.dport !== orig.sport);
  const dnat = reply.src !== orig.dst || (ports && reply.sport !== orig.dport);
  if (snat && dnat) return 'both';
  if (snat) return 'snat';
  if (dnat) return 'dnat';
  return 'none';
}
