import { CtdoctorError } from '../errors.js';
import { parseNetwork } from '../firewall/blockGuards.js';
import { expandIPv6 } from '../table/address.js';
import { type ConntrackEntry, FLAG, PROTOCOL_NAMES } from '../table/entry.js';
import { FIELD_NAMES, type FieldName, addressOf, fieldText, isFieldName } from './entryFields.js';

export type EntryPredicate = (entry: ConntrackEntry) => boolean;

const ADDRESS_FIELDS = new Set(['src', 'dst', 'reply-src', 'reply-dst']);

/**
 * A CIDR or single address matcher over address keys (IPv4 int or canonical IPv6 text). The user's
 * text is read as `block` reads it (ipaddr.js, host bits refused), so both accept the same networks.
 */
function addressMatcher(text: string): (key: number | string) => boolean {
  const network = parseNetwork(text);
  if (network.family === 4) {
    const v4 = Number(network.bits) | 0;
    const mask = network.prefix === 0 ? 0 : (~0 << (32 - network.prefix)) | 0;
    return (key) => typeof key === 'number' && ((key ^ v4) & mask) === 0;
  }
  const groups = Array.from({ length: 8 }, (_, index) =>
    Number((network.bits >> BigInt(112 - 16 * index)) & 0xffffn),
  );
  const bits = network.prefix;
  return (key) => {
    if (typeof key !== 'string') return false;
    const other = expandIPv6(key);
    if (!other) return false;
    for (let bit = 0; bit < bits; bit += 16) {
      const width = Math.min(16, bits - bit);
      const mask = (0xffff << (16 - width)) & 0xffff;
      if ((groups[bit / 16]! & mask) !== (other[bit / 16]! & mask)) return false;
    }
    return true;
  };
}

/**
 * State names the kernel prints: tcp_conntrack_names (nf_conntrack_proto_tcp.c), sctp_conntrack_names
 * (nf_conntrack_proto_sctp.c), dccp_state_names (nf_conntrack_proto_dccp.c). Stateless protocols
 * count under their protocol's name.
 */
const KNOWN_STATES = new Set([
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
  'HEARTBEAT_ACKED',
  'REQUEST',
  'RESPOND',
  'PARTOPEN',
  'OPEN',
  'CLOSEREQ',
  'CLOSING',
  'TIMEWAIT',
  'IGNORE',
  'INVALID',
]);
const PROTOCOLS = Object.values(PROTOCOL_NAMES);
/** How the report names a protocol the kernel has no name for (`unknown(99)`): a key to copy into --filter. */
const UNKNOWN_PROTOCOL = /^unknown\(\d{1,3}\)$/i;
const NAT_KINDS = ['none', 'snat', 'dnat', 'both'];
const FAMILIES = ['ipv4', 'ipv6'];
/** zone is a u16 and mark a u32 in the kernel (struct nf_conntrack_zone, struct nf_conn). */
const NUMBER_LIMITS: Partial<Record<FieldName, number>> = { zone: 0xffff, mark: 0xffffffff };

/** Every value is checked before anything is read: an unknown one would match nothing, silently. */
function checkValue(field: FieldName, value: string): void {
  const unknown = (what: string, known: string) =>
    new CtdoctorError('usage', `unknown ${what} "${value}" (${known})`);
  if (field === 'proto') {
    if (/^\d{1,3}$/.test(value) && Number(value) <= 255) return;
    if (UNKNOWN_PROTOCOL.test(value)) return;
    if (!PROTOCOLS.includes(value.toLowerCase()))
      throw unknown('protocol', `${PROTOCOLS.join(', ')}, or a number 0-255`);
  } else if (field === 'state') {
    const upper = value.toUpperCase();
    if (!KNOWN_STATES.has(upper) && !PROTOCOLS.includes(value.toLowerCase()) && !UNKNOWN_PROTOCOL.test(value))
      throw unknown(
        'state',
        `${[...KNOWN_STATES].join(', ')}, a protocol name for stateless ones, or a flag`,
      );
  } else if (field === 'nat') {
    if (!NAT_KINDS.includes(value.toLowerCase())) throw unknown('nat kind', NAT_KINDS.join(', '));
  } else if (field === 'l3') {
    if (!FAMILIES.includes(value.toLowerCase())) throw unknown('address family', FAMILIES.join(', '));
  } else if (field in NUMBER_LIMITS) {
    const limit = NUMBER_LIMITS[field]!;
    if (!/^\d{1,10}$/.test(value) || Number(value) > limit)
      throw new CtdoctorError('usage', `${field} "${value}" is not a number 0-${limit}`);
  } else if (field === 'src-prefix') addressMatcher(value);
}

function valueMatcher(field: FieldName, value: string): EntryPredicate {
  if (value === '') throw new CtdoctorError('usage', `empty value for ${field} in the filter`);
  if (ADDRESS_FIELDS.has(field)) {
    const matches = addressMatcher(value);
    const which = field as 'src' | 'dst' | 'reply-src' | 'reply-dst';
    return (entry) => matches(addressOf(entry, which));
  }
  if (field === 'flag' || (field === 'state' && value.toUpperCase() in FLAG)) {
    const bit = FLAG[value.toUpperCase() as keyof typeof FLAG];
    if (bit === undefined)
      throw new CtdoctorError('usage', `unknown flag "${value}" (UNREPLIED, ASSURED, OFFLOAD, HW_OFFLOAD)`);
    return (entry) => (entry.flags & bit) !== 0;
  }
  if (field === 'sport' || field === 'dport') {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new CtdoctorError('usage', `"${value}" is not a port`);
    return field === 'sport' ? (entry) => entry.orig.sport === port : (entry) => entry.orig.dport === port;
  }
  checkValue(field, value);
  if (field === 'proto' && /^\d+$/.test(value)) {
    const protoNum = Number(value);
    return (entry) => entry.protoNum === protoNum;
  }
  const wanted = field === 'state' ? value.toUpperCase() : value.toLowerCase();
  return (entry) => {
    const text = fieldText(entry, field);
    return (field === 'state' ? text.toUpperCase() : text.toLowerCase()) === wanted;
  };
}

/**
 * `proto=udp state=UNREPLIED dport=53 src=10.0.0.0/8`: terms are ANDed, comma-separated values
 * ORed, `!=` negates. `state=UNREPLIED` (a flag, not a state) is accepted as the playbook writes it.
 */
export function parseEntryFilter(expression: string): EntryPredicate {
  const terms = expression.trim().split(/\s+/).filter(Boolean);
  const predicates = terms.map((term) => {
    const match = /^([a-z0-9-]+)(!?=)(.+)$/.exec(term);
    if (!match)
      throw new CtdoctorError(
        'usage',
        `filter term "${term}" is not field=value (fields: ${FIELD_NAMES.join(', ')})`,
      );
    const [, field = '', operator, values = ''] = match;
    if (!isFieldName(field))
      throw new CtdoctorError('usage', `unknown filter field "${field}" (${FIELD_NAMES.join(', ')})`);
    const alternatives = values.split(',').map((value) => valueMatcher(field, value));
    const any: EntryPredicate = (entry) => alternatives.some((matches) => matches(entry));
    return operator === '!=' ? (entry: ConntrackEntry) => !any(entry) : any;
  });
  return (entry) => predicates.every((predicate) => predicate(entry));
}
