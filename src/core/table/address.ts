/**
 * Address keys: an IPv4 address is a signed 32-bit integer (a V8 small integer, so Maps keyed by it
 * stay fast and allocation-free); an IPv6 address is its RFC 5952 text. The same flow therefore has
 * the same key whether procfs printed it (IPv6 fully expanded) or conntrack-tools did (compressed).
 */
export type AddressKey = number | string;

export function ipv4ToString(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8) | Number(part);
  }
  return value | 0;
}

/** RFC 5952 text of an IPv6 address given in any valid form; undefined if it is not one. */
export function canonicalIPv6(text: string): string | undefined {
  const groups = expandIPv6(text);
  return groups ? formatIPv6Groups(groups) : undefined;
}

/** RFC 5952 text of eight 16-bit groups: lowercase, no leading zeros, the longest zero run as `::`. */
export function formatIPv6Groups(groups: ArrayLike<number>): string {
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed (RFC 5952 4.2.2)
  for (let index = 0; index < 8; ) {
    if (groups[index] !== 0) {
      index++;
      continue;
    }
    let end = index;
    while (end < 8 && groups[end] === 0) end++;
    if (end - index > bestLength) {
      bestStart = index;
      bestLength = end - index;
    }
    index = end;
  }
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    // IPv4-mapped: RFC 5952 section 5 keeps the dotted quad, as inet_ntop prints it.
    return `::ffff:${groups[6]! >>> 8}.${groups[6]! & 255}.${groups[7]! >>> 8}.${groups[7]! & 255}`;
  }
  let text = '';
  for (let index = 0; index < 8; index++) {
    if (index === bestStart) {
      text += index === 0 ? '::' : ':';
      index += bestLength - 1;
      continue;
    }
    text += groups[index]!.toString(16);
    if (index < 7) text += ':';
  }
  return text;
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 allowed), or undefined. */
export function expandIPv6(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let tail = text;
  const embedded: number[] = [];
  const lastColon = tail.lastIndexOf(':');
  if (tail.includes('.', lastColon)) {
    const v4 = parseIPv4(tail.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    embedded.push((v4 >>> 16) & 0xffff, v4 & 0xffff);
    tail = tail.slice(0, lastColon + 1);
    if (!tail.endsWith('::')) tail = tail.slice(0, -1); // "::ffff:" → "::ffff", but "::" stays
  }
  const halves = tail.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string) => (half === '' ? [] : half.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const groupsText = [...head, ...rest];
  if (!groupsText.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const explicit = groupsText.length + embedded.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const zeros = new Array(8 - explicit).fill(0);
  const groups = [
    ...head.map((g) => Number.parseInt(g, 16)),
    ...(halves.length === 2 ? zeros : []),
    ...rest.map((g) => Number.parseInt(g, 16)),
    ...embedded,
  ];
  return groups.length === 8 ? groups : undefined;
}

export function formatAddress(key: AddressKey): string {
  return typeof key === 'number' ? ipv4ToString(key) : key;
}

const PREFIX_CACHE_LIMIT = 1 << 16;
const prefixCache = new Map<string, string>();

/** /24 for IPv4, /64 for IPv6: the prefix a botnet or a tenant usually shares. */
export function prefixKey(key: AddressKey): AddressKey {
  if (typeof key === 'number') return key & ~0xff;
  const cached = prefixCache.get(key);
  if (cached !== undefined) return cached;
  const groups = expandIPv6(key);
  if (!groups) return key;
  const prefix = `${formatIPv6Groups([...groups.slice(0, 4), 0, 0, 0, 0])}/64`;
  if (prefixCache.size >= PREFIX_CACHE_LIMIT) prefixCache.clear();
  prefixCache.set(key, prefix);
  return prefix;
}

export function formatPrefix(key: AddressKey): string {
  return typeof key === 'number' ? `${ipv4ToString(key)}/24` : key;
}
