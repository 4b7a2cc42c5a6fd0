import { CtdoctorError } from '../errors.js';
import { expandIPv6, parseIPv4 } from '../table/address.js';
import { type ConntrackEntry, FLAG } from '../table/entry.js';
import { type FieldName, addressOf, fieldText, isFieldName } from './entryFields.js';

export type EntryPredicate = (entry: ConntrackEntry) => boolean;

const ADDRESS_FIELDS = new Set(['src', 'dst', 'reply-src', 'reply-dst']);

/** A CIDR or single address matcher over address keys (IPv4 int or canonical IPv6 text). */
function addressMatcher(text: string): (key: number | string) => boolean {
  const [address = '', bitsText] = text.split('/');
  const v4 = parseIPv4(address);
  if (v4 !== undefined) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > 32)
      throw new CtdoctorError('usage', `bad prefix length in "${text}"`);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) | 0;
    return (key) => typeof key === 'number' && ((key ^ v4) & mask) === 0;
  }
  const groups = expandIPv6(address);
  if (!groups) throw new CtdoctorError('usage', `"${text}" is not an IPv4 or IPv6 address or CIDR`);
  const bits = bitsText === undefined ? 128 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 128)
    throw new CtdoctorError('usage', `bad prefix length in "${text}"`);
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

function valueMatcher(field: FieldName, value: string): EntryPredicate {
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
        `filter term "${term}" is not field=value (fields: src, dst, dport, proto, state, ...)`,
      );
    const [, field = '', operator, values = ''] = match;
    if (!isFieldName(field)) throw new CtdoctorError('usage', `unknown filter field "${field}"`);
    const alternatives = values.split(',').map((value) => valueMatcher(field, value));
    const any: EntryPredicate = (entry) => alternatives.some((matches) => matches(entry));
    return operator === '!=' ? (entry: ConntrackEntry) => !any(entry) : any;
  });
  return (entry) => predicates.every((predicate) => predicate(entry));
}
