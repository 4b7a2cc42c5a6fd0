import { type AddressKey, formatAddress, formatPrefix, prefixKey } from '../table/address.js';
import { type ConntrackEntry, FLAG_NAMES, natKind, protocolName } from '../table/entry.js';

/** Fields an operator can filter and group by, in conntrack-tools' words. */
export const FIELD_NAMES = [
  'proto',
  'state',
  'flag',
  'src',
  'dst',
  'sport',
  'dport',
  'src-prefix',
  'reply-src',
  'reply-dst',
  'zone',
  'mark',
  'nat',
  'l3',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export function isFieldName(name: string): name is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(name);
}

export function flagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  return names.length > 0 ? names.join('+') : 'none';
}

/** The state of an entry for grouping: the protocol state, else the protocol name (udp, icmp…). */
export function stateOrProtocol(entry: ConntrackEntry): string {
  return entry.state || protocolName(entry.protoNum);
}

export function fieldText(entry: ConntrackEntry, field: FieldName): string {
  switch (field) {
    case 'proto':
      return protocolName(entry.protoNum);
    case 'state':
      return stateOrProtocol(entry);
    case 'flag':
      return flagsText(entry.flags);
    case 'src':
      return formatAddress(entry.orig.src);
    case 'dst':
      return formatAddress(entry.orig.dst);
    case 'sport':
      return String(entry.orig.sport);
    case 'dport':
      return String(entry.orig.dport);
    case 'src-prefix':
      return formatPrefix(prefixKey(entry.orig.src));
    case 'reply-src':
      return formatAddress(entry.reply.src);
    case 'reply-dst':
      return formatAddress(entry.reply.dst);
    case 'zone':
      return String(Math.max(entry.zone, 0));
    case 'mark':
      return String(Math.max(entry.mark, 0));
    case 'nat':
      return natKind(entry);
    case 'l3':
      return `ipv${entry.l3}`;
  }
}

export function addressOf(
  entry: ConntrackEntry,
  field: 'src' | 'dst' | 'reply-src' | 'reply-dst',
): AddressKey {
  if (field === 'src') return entry.orig.src;
  if (field === 'dst') return entry.orig.dst;
  if (field === 'reply-src') return entry.reply.src;
  return entry.reply.dst;
}
