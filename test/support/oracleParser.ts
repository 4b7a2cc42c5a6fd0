import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * A third reading of a conntrack line, for tests only: deliberately simple and slow, written from
 * the grammar (ct_seq_show in net/netfilter/nf_conntrack_standalone.c, conntrack-tools'
 * snprintf_default) and the kernel's field types, not from either parser. It splits on spaces and
 * checks every field; the reference parser (src/core/table/lineParser.ts) and the WebAssembly
 * engine must agree with it on every line.
 *
 *   [ipv4 2|ipv6 10] name number [timeout] [STATE] key=value… and [FLAGS]
 * - the name is the protocol's, `unknown`, or the end of the protocol's (a line cut inside it:
 *   counted as repaired);
 * - a tuple is the keys from one src= to the next; each tuple needs src= and dst=, and tcp and udp
 *   tuples sport= and dport=; a key the kernel prints once may not appear twice;
 * - numbers are within the kernel field they print; unknown keys are tolerated.
 */
export type OracleLine =
  | { kind: 'entry'; entry: OracleEntry }
  | { kind: 'malformed' }
  /** Blank lines and the conntrack-tools summary: neither entries nor malformed. */
  | { kind: 'ignored' };

export interface OracleEntry {
  l3: 4 | 6;
  proto: number;
  /** The state, or the protocol's name for stateless protocols. */
  state: string;
  flags: string[];
  nat: 'none' | 'snat' | 'dnat' | 'both';
  dport: number;
  protocolNameRepaired: boolean;
}

/** The oracle's own copy of the kernel's protocol names: it shares no table with the parsers. */
const NAMES: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  47: 'gre',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};
const WITH_PORTS = new Set([6, 17, 33, 132, 136]);
const FLAGS = new Set(['[UNREPLIED]', '[ASSURED]', '[OFFLOAD]', '[HW_OFFLOAD]']);

const decimal = (max: number) => (value: string) => /^\d{1,15}$/.test(value) && Number(value) <= max;
const hexOrDecimal = (max: number) => (value: string) =>
  /^0[xX][0-9a-fA-F]{1,12}$/.test(value) ? Number.parseInt(value.slice(2), 16) <= max : decimal(max)(value);
const anyText = () => true;

type Slot = 'source' | 'destination' | 'id' | 'packets' | 'bytes';
/** Per key: its check, and the slot of its tuple it fills (each slot at most once per tuple). */
const TUPLE_KEYS: Record<string, [(value: string) => boolean, Slot]> = {
  sport: [decimal(0xffff), 'source'],
  dport: [decimal(0xffff), 'destination'],
  type: [decimal(0xff), 'source'],
  code: [decimal(0xff), 'destination'],
  srckey: [hexOrDecimal(0xffff), 'source'],
  dstkey: [hexOrDecimal(0xffff), 'destination'],
  id: [decimal(0xffff), 'id'],
  packets: [decimal(Number.MAX_SAFE_INTEGER), 'packets'],
  bytes: [decimal(Number.MAX_SAFE_INTEGER), 'bytes'],
};
/** Keys of the entry; `once` ones may not repeat. */
const ENTRY_KEYS: Record<string, [(value: string) => boolean, boolean]> = {
  mark: [decimal(0xffffffff), true],
  zone: [decimal(0xffff), true],
  use: [decimal(0xffffffff), true],
  'zone-orig': [decimal(0xffff), false],
  'zone-reply': [decimal(0xffff), false],
  'delta-time': [decimal(Number.MAX_SAFE_INTEGER), false],
  secctx: [anyText, false],
  helper: [anyText, false],
  labels: [anyText, false],
};

interface OracleTuple {
  src?: string;
  dst?: string;
  slots: Map<Slot, string>;
}

/** An address as a comparable text, or undefined when it is not one. */
function address(value: string): string | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4)
    return v4.slice(1).every((octet) => Number(octet) <= 255) ? v4.slice(1).map(Number).join('.') : undefined;
  return isIPv6(value) ? ipaddr.IPv6.parse(value).toNormalizedString() : undefined;
}

function family(text: string): 4 | 6 {
  return text.includes(':') ? 6 : 4;
}

export function oracleParseLine(raw: string): OracleLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (/^[ \t]*$/.test(line) || /^[ \t]*conntrack v/.test(line)) return { kind: 'ignored' };
  const malformed: OracleLine = { kind: 'malformed' };
  const tokens = line.split(' ').filter((token) => token !== '');
  let at = 0;
  let headerFamily: 4 | 6 | undefined;
  if (tokens[0] === 'ipv4' || tokens[0] === 'ipv6') {
    headerFamily = tokens[0] === 'ipv4' ? 4 : 6;
    if (!decimal(255)(tokens[1] ?? '') || Number(tokens[1]) !== (headerFamily === 4 ? 2 : 10))
      return malformed;
    at = 2;
  }
  const name = tokens[at] ?? '';
  const number = tokens[at + 1] ?? '';
  if (!/^[a-z][a-z0-9]{0,15}$/.test(name) || !decimal(255)(number)) return malformed;
  const proto = Number(number);
  const expected = NAMES[proto] ?? 'unknown';
  const repaired = name !== expected && name !== 'unknown';
  if (repaired && !(name.length < expected.length && expected.endsWith(name))) return malformed;
  at += 2;

  let state = '';
  let timeoutSeen = false;
  for (; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (token.includes('=') || token.startsWith('[')) break;
    if (/^\d/.test(token) && !timeoutSeen && !state) {
      if (!/^\d{1,15}$/.test(token)) return malformed;
      timeoutSeen = true;
    } else if (/^[A-Z][A-Z0-9_]*$/.test(token) && !state) state = token;
    else return malformed;
  }

  const orig: OracleTuple = { slots: new Map() };
  const reply: OracleTuple = { slots: new Map() };
  let tuple = orig;
  const flags = new Set<string>();
  const entryKeysSeen = new Set<string>();
  for (; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (token.startsWith('[')) {
      if (FLAGS.has(token)) flags.add(token.slice(1, -1));
      continue;
    }
    const eq = token.indexOf('=');
    if (eq < 0) return malformed;
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'src' || key === 'dst') {
      if (key === 'src' && tuple.src !== undefined) {
        if (tuple === reply) return malformed;
        tuple = reply;
      }
      if (tuple[key] !== undefined) return malformed;
      const text = address(value);
      if (text === undefined) return malformed;
      tuple[key] = text;
    } else if (key in TUPLE_KEYS) {
      const [valid, slot] = TUPLE_KEYS[key]!;
      if (!valid(value) || tuple.slots.has(slot)) return malformed;
      tuple.slots.set(slot, value);
    } else if (key in ENTRY_KEYS) {
      const [valid, once] = ENTRY_KEYS[key]!;
      if (!valid(value) || (once && entryKeysSeen.has(key))) return malformed;
      entryKeysSeen.add(key);
    }
  }
  for (const t of [orig, reply]) {
    if (t.src === undefined || t.dst === undefined) return malformed;
    if ((proto === 6 || proto === 17) && !(t.slots.has('source') && t.slots.has('destination')))
      return malformed;
  }
  const port = (t: OracleTuple, slot: Slot) => {
    const value = t.slots.get(slot);
    if (value === undefined) return -1;
    return /^0[xX]/.test(value) ? Number.parseInt(value.slice(2), 16) : Number(value);
  };
  const ports = WITH_PORTS.has(proto);
  const snat = reply.dst !== orig.src || (ports && port(reply, 'destination') !== port(orig, 'source'));
  const dnat = reply.src !== orig.dst || (ports && port(reply, 'source') !== port(orig, 'destination'));
  return {
    kind: 'entry',
    entry: {
      l3: headerFamily ?? family(orig.src!),
      proto,
      state: state || (NAMES[proto] ?? `unknown(${proto})`),
      flags: [...flags].sort(),
      nat: snat && dnat ? 'both' : snat ? 'snat' : dnat ? 'dnat' : 'none',
      dport: port(orig, 'destination'),
      protocolNameRepaired: repaired,
    },
  };
}

/** What the oracle counts in a whole table, to hold against a summary. */
export function oracleCounts(text: string) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const tally = (record: Record<string, number>, key: string) => {
    record[key] = (record[key] ?? 0) + 1;
  };
  const counts = {
    entries: 0,
    malformed: 0,
    firstMalformedLine: null as number | null,
    repairedProtocolNames: 0,
    proto: {} as Record<string, number>,
    state: {} as Record<string, number>,
    flags: {} as Record<string, number>,
    nat: {} as Record<string, number>,
    l3: {} as Record<string, number>,
    dport: {} as Record<string, number>,
  };
  lines.forEach((line, index) => {
    const parsed = oracleParseLine(line);
    if (parsed.kind === 'ignored') return;
    if (parsed.kind === 'malformed') {
      counts.malformed++;
      counts.firstMalformedLine ??= index + 1;
      return;
    }
    const { entry } = parsed;
    counts.entries++;
    if (entry.protocolNameRepaired) counts.repairedProtocolNames++;
    tally(counts.proto, NAMES[entry.proto] ?? `unknown(${entry.proto})`);
    tally(counts.state, entry.state);
    for (const flag of entry.flags) tally(counts.flags, flag);
    if (entry.flags.length === 0) tally(counts.flags, 'none');
    tally(counts.nat, entry.nat);
    tally(counts.l3, `ipv${entry.l3}`);
    if (entry.proto === 6 || entry.proto === 17) tally(counts.dport, `${NAMES[entry.proto]}/${entry.dport}`);
  });
  return counts;
}
