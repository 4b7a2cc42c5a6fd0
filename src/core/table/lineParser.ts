import { ipv6FromBytes } from './ipv6Bytes.js';
import { type ConntrackEntry, FLAG, PROTOCOL_NAMES, type Tuple } from './entry.js';

/**
 * Parses one line of /proc/net/nf_conntrack, `conntrack -L` or `conntrack -L -o extended` from raw
 * bytes into `entry` (reused across calls). Returns false for a line that is not a valid entry.
 *
 * Grammar (kernel ct_seq_show; conntrack-tools prints the same without the leading L3 pair):
 *   [l3name l3num] l4name l4num [secs] [STATE] tuple [zone-orig=] [packets= bytes=] [UNREPLIED]
 *   tuple [zone-reply=] [packets= bytes=] [OFFLOAD|HW_OFFLOAD|ASSURED] [mark=] [secctx=] [zone=]
 *   [delta-time=] use=
 * where a tuple is `src= dst=` then `sport= dport=`, `type= code= id=` or `srckey= dstkey=`.
 *
 * Stricter than the kernel, never looser: every number is held to the range of the kernel field it
 * prints (a port is a u16, an ICMP type a u8, a mark a u32, a zone a u16: struct nf_conntrack_tuple,
 * struct nf_conntrack_zone), a key the kernel prints once per tuple may not appear twice, and a line
 * cut at its start (`6 46 TIME_WAIT src=…`, pasted from a terminal) is not an entry of protocol 46.
 */

/** Why the last line parseEntryLine refused is not an entry (lastParse.reason). */
export const MALFORMED_REASONS = [
  '',
  'cut at its start: no protocol name before its number',
  'not a conntrack entry: it does not start with a protocol name and number',
  'the address family name must be ipv4 2 or ipv6 10',
  'the protocol number must be 0-255',
  'the protocol name does not match its number',
  'the timeout is not a number',
  'a state must be upper-case letters, digits and _',
  'a bare word where key=value belongs',
  'not an IPv4 or IPv6 address',
  'not a decimal number',
  'out of range',
  'a key printed once per tuple appears twice',
  'cut at its end: a tuple lacks src= or dst=',
  'cut at its end: a tcp or udp tuple lacks sport= or dport=',
] as const;
const CUT_AT_START = 1;
export const NOT_AN_ENTRY = 2;
const BAD_FAMILY = 3;
const BAD_PROTOCOL_NUMBER = 4;
const PROTOCOL_MISMATCH = 5;
const BAD_TIMEOUT = 6;
const BAD_STATE = 7;
const BARE_WORD = 8;
const BAD_ADDRESS = 9;
const BAD_NUMBER = 10;
export const OUT_OF_RANGE = 11;
const DOUBLED_KEY = 12;
export const MISSING_ADDRESS = 13;
export const MISSING_PORTS = 14;

/**
 * What the last parseEntryLine call found beyond its verdict: for a refused line, the reason (an
 * index into MALFORMED_REASONS) and the token at fault; for an entry, whether its protocol name was
 * damaged (`cp      6 …`, a line cut inside its name) and read by the number after it. A module
 * slot, not a result object: the parser allocates nothing per line.
 */
export const lastParse = { reason: 0, tokenStart: 0, tokenEnd: 0, limit: 0, protocolNameRepaired: false };

function fail(reason: number, tokenStart: number, tokenEnd: number): false {
  lastParse.reason = reason;
  lastParse.tokenStart = tokenStart;
  lastParse.tokenEnd = tokenEnd;
  return false;
}

/** fail() for the readers that return a position: -1. */
function failedAt(reason: number, tokenStart: number, tokenEnd: number): number {
  fail(reason, tokenStart, tokenEnd);
  return -1;
}

function outOfRange(tokenStart: number, tokenEnd: number, limit: number): false {
  lastParse.limit = limit;
  return fail(OUT_OF_RANGE, tokenStart, tokenEnd);
}

/** Kernel field ranges (struct nf_conntrack_tuple, struct nf_conn). */
const U8_MAX = 0xff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

const SPACE = 0x20;
const EQUALS = 0x3d;
const OPEN_BRACKET = 0x5b;
const ZERO = 0x30;
const NINE = 0x39;

// What the next header token is; small integers keep the hot loop free of string compares.
const EXPECT_L3_OR_L4 = 0;
const EXPECT_L3NUM = 1;
const EXPECT_L4NAME = 2;
const EXPECT_L4NUM = 3;
const EXPECT_TIMEOUT_OR_STATE = 4;
const EXPECT_STATE = 5;
const EXPECT_BODY = 6;

const STATE_CACHE = new Map<number, string>();

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

/** Decimal digits in [start, end); -1 if any byte is not a digit or the number is too long. */
function decimalAt(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (byte < ZERO || byte > NINE) return -1;
    value = value * 10 + (byte - ZERO);
  }
  return value;
}

/** `0x1f` or decimal; GRE keys are printed in hex. */
function numberAt(buf: Uint8Array, start: number, end: number): number {
  if (end - start > 2 && buf[start] === ZERO && (buf[start + 1] === 0x78 || buf[start + 1] === 0x58)) {
    const hex = latin1(buf, start + 2, end);
    return /^[0-9a-fA-F]{1,12}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
  }
  return decimalAt(buf, start, end);
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.latin1Slice.call(buf, start, end) as string;
}

/** Addresses start as NaN each line, so a missing src= or dst= is detectable. */
function isUnset(address: number | string): boolean {
  return typeof address === 'number' && Number.isNaN(address);
}

function resetTuple(tuple: Tuple): void {
  tuple.src = Number.NaN;
  tuple.dst = Number.NaN;
  tuple.sport = -1;
  tuple.dport = -1;
  tuple.icmpId = -1;
  tuple.packets = -1;
  tuple.bytes = -1;
  tuple.zone = -1;
}

function stateName(buf: Uint8Array, start: number, end: number): string {
  // Hash the few bytes of a state token to avoid allocating a string per line.
  let hash = end - start;
  for (let i = start; i < end; i++) hash = (hash * 31 + buf[i]!) | 0;
  const cached = STATE_CACHE.get(hash);
  if (cached !== undefined && sameBytes(cached, buf, start, end)) return cached;
  const text = latin1(buf, start, end);
  if (cached === undefined) STATE_CACHE.set(hash, text);
  return text;
}

function sameBytes(text: string, buf: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = start; i < end; i++) if (text.charCodeAt(i - start) !== buf[i]) return false;
  return true;
}

function isStateToken(buf: Uint8Array, start: number, end: number): boolean {
  if (end <= start || buf[start]! < 0x41 || buf[start]! > 0x5a) return false;
  for (let i = start + 1; i < end; i++) {
    const byte = buf[i]!;
    const upper = byte >= 0x41 && byte <= 0x5a;
    if (!upper && byte !== 0x5f && !(byte >= ZERO && byte <= NINE)) return false;
  }
  return true;
}

/** A protocol name as the kernel prints it: a lower-case letter, then lower-case letters and digits. */
function isProtocolName(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start > 16 || buf[start]! < 0x61 || buf[start]! > 0x7a) return false;
  for (let i = start + 1; i < end; i++) {
    const byte = buf[i]!;
    if (!(byte >= 0x61 && byte <= 0x7a) && !(byte >= ZERO && byte <= NINE)) return false;
  }
  return true;
}

/** `unknown` is what the kernel prints for a protocol without a tracker, whatever its number. */
const UNKNOWN_PROTOCOL = 'unknown';

/**
 * The protocol name against its number: the right name, `unknown`, or the end of the right name
 * (a line cut inside it, `cp      6`: repaired, read by the number). The name of another protocol
 * contradicts the number: refused. Called once per line, for the name's few bytes.
 */
function checkProtocolName(buf: Uint8Array, start: number, end: number, protoNum: number): boolean {
  const expected = PROTOCOL_NAMES[protoNum] ?? UNKNOWN_PROTOCOL;
  lastParse.protocolNameRepaired = false;
  if (sameBytes(expected, buf, start, end) || sameBytes(UNKNOWN_PROTOCOL, buf, start, end)) return true;
  const length = end - start;
  if (length >= expected.length) return false;
  for (let i = 0; i < length; i++)
    if (expected.charCodeAt(expected.length - length + i) !== buf[start + i]) return false;
  lastParse.protocolNameRepaired = true;
  return true;
}

/**
 * Reads one line into `entry` (the grammar is at the top of this file); false, with lastParse
 * saying why, for a line that is not an entry.
 * Long because it is the parser's hot path, run once per entry of tables of millions: the header
 * is one flat loop with its cursors in locals (a tokenizer closure cost ~25 %, see inside); the
 * tuples are read by parseBody.
 */
export function parseEntryLine(
  buf: Uint8Array,
  lineStart: number,
  lineEnd: number,
  entry: ConntrackEntry,
): boolean {
  // One flat loop with local cursors: a tokenizer closure would keep them in a heap context and
  // cost ~25% on million-line tables. `eq` is found during the token scan, not in a second pass.
  let pos = lineStart;
  let headerTokens = 0; // tokens consumed before the first tuple key: l3 pair, l4 pair, timeout, state
  let l3: 0 | 4 | 6 = 0;
  let protoNum = -1;
  let nameStart = 0;
  let nameEnd = 0;
  let expect = EXPECT_L3_OR_L4;

  while (pos < lineEnd) {
    while (pos < lineEnd && buf[pos] === SPACE) pos++;
    if (pos >= lineEnd) break;
    const tokenStart = pos;
    let eq = -1;
    while (pos < lineEnd) {
      const byte = buf[pos]!;
      if (byte === SPACE) break;
      if (byte === EQUALS && eq < 0) eq = pos;
      pos++;
    }
    const tokenEnd = pos;
    const byte0 = buf[tokenStart]!;

    if (expect !== EXPECT_BODY) {
      headerTokens++;
      if (headerTokens > 8) return fail(BARE_WORD, tokenStart, tokenEnd);
      if (expect === EXPECT_L3_OR_L4) {
        // Optional "ipv4 2" / "ipv6 10" prefix (procfs and -o extended).
        if (
          tokenEnd - tokenStart === 4 &&
          byte0 === 0x69 &&
          buf[tokenStart + 1] === 0x70 &&
          buf[tokenStart + 2] === 0x76
        ) {
          const version = buf[tokenStart + 3];
          if (version === 0x34) l3 = 4;
          else if (version === 0x36) l3 = 6;
          else return fail(BAD_FAMILY, tokenStart, tokenEnd);
          expect = EXPECT_L3NUM;
        } else {
          if (isDigit(byte0)) return fail(CUT_AT_START, tokenStart, tokenEnd);
          if (eq >= 0 || !isProtocolName(buf, tokenStart, tokenEnd))
            return fail(NOT_AN_ENTRY, tokenStart, tokenEnd);
          nameStart = tokenStart;
          nameEnd = tokenEnd;
          expect = EXPECT_L4NUM;
        }
        continue;
      }
      if (expect === EXPECT_L3NUM) {
        // AF_INET is 2 and AF_INET6 10 (include/linux/socket.h).
        if (decimalAt(buf, tokenStart, tokenEnd) !== (l3 === 4 ? 2 : 10))
          return fail(BAD_FAMILY, tokenStart, tokenEnd);
        expect = EXPECT_L4NAME;
        continue;
      }
      if (expect === EXPECT_L4NAME) {
        if (eq >= 0 || !isProtocolName(buf, tokenStart, tokenEnd))
          return fail(NOT_AN_ENTRY, tokenStart, tokenEnd);
        nameStart = tokenStart;
        nameEnd = tokenEnd;
        expect = EXPECT_L4NUM;
        continue;
      }
      if (expect === EXPECT_L4NUM) {
        protoNum = decimalAt(buf, tokenStart, tokenEnd);
        if (protoNum < 0 || protoNum > U8_MAX) return fail(BAD_PROTOCOL_NUMBER, tokenStart, tokenEnd);
        if (!checkProtocolName(buf, nameStart, nameEnd, protoNum))
          return fail(PROTOCOL_MISMATCH, nameStart, tokenEnd);
        entry.protoNum = protoNum;
        entry.timeoutSeconds = -1;
        entry.state = '';
        entry.flags = 0;
        entry.mark = -1;
        entry.zone = -1;
        entry.use = -1;
        entry.deltaTimeSeconds = -1;
        entry.helper = '';
        entry.secctx = '';
        entry.labels = '';
        resetTuple(entry.orig);
        resetTuple(entry.reply);
        expect = EXPECT_TIMEOUT_OR_STATE;
        continue;
      }
      if (eq < 0 && byte0 !== OPEN_BRACKET) {
        if (expect === EXPECT_TIMEOUT_OR_STATE && isDigit(byte0)) {
          const timeout = decimalAt(buf, tokenStart, tokenEnd);
          if (timeout < 0) return fail(BAD_TIMEOUT, tokenStart, tokenEnd);
          entry.timeoutSeconds = timeout;
          expect = EXPECT_STATE;
          continue;
        }
        if (!isStateToken(buf, tokenStart, tokenEnd)) return fail(BAD_STATE, tokenStart, tokenEnd);
        entry.state = stateName(buf, tokenStart, tokenEnd);
        expect = EXPECT_BODY;
        continue;
      }
      expect = EXPECT_BODY;
    }

    if (eq < 0 && byte0 !== OPEN_BRACKET) return fail(BARE_WORD, tokenStart, tokenEnd);
    // The first tuple key or flag ends the header; from here on, parseBody reads it all in one pass.
    pos = tokenStart;
    break;
  }
  if (expect !== EXPECT_BODY)
    return fail(expect <= EXPECT_L4NUM ? NOT_AN_ENTRY : MISSING_ADDRESS, lineStart, lineEnd);
  if (!parseBody(buf, pos, lineEnd, entry)) return false;

  const { orig, reply } = entry;
  if (isUnset(orig.src) || isUnset(orig.dst) || isUnset(reply.src) || isUnset(reply.dst))
    return fail(MISSING_ADDRESS, lineStart, lineEnd);
  // Ports are mandatory only for TCP and UDP, whose trackers are always built in: without an SCTP
  // or DCCP tracker procfs prints `unknown 132` and no ports (conntrack-tools prints sport=0).
  if (
    (protoNum === 6 || protoNum === 17) &&
    (orig.sport < 0 || orig.dport < 0 || reply.sport < 0 || reply.dport < 0)
  ) {
    return fail(MISSING_PORTS, lineStart, lineEnd);
  }
  entry.l3 = l3 !== 0 ? l3 : typeof orig.src === 'string' ? 6 : 4;
  return true;
}

/** Set by readDecimal: the value just read (a module slot avoids allocating a result object). */
let scannedNumber = 0;

/**
 * Reads decimal digits up to a space or the end, at most `max`; returns the end position, or -1
 * (lastParse says why) on a bad byte or a value out of range.
 */
function readDecimal(buf: Uint8Array, pos: number, end: number, max: number): number {
  let value = 0;
  const start = pos;
  for (; pos < end; pos++) {
    const byte = buf[pos]!;
    if (byte === SPACE) break;
    if (byte < ZERO || byte > NINE) return failedAt(BAD_NUMBER, start, skipToken(buf, pos, end));
    value = value * 10 + (byte - ZERO);
  }
  if (pos === start || pos - start > 15) return failedAt(BAD_NUMBER, start, pos);
  if (value > max) {
    lastParse.limit = max;
    return failedAt(OUT_OF_RANGE, start, pos);
  }
  scannedNumber = value;
  return pos;
}

/** readDecimal of a value the tuple or entry must not hold yet (`current` is -1 until set). */
function readOnce(buf: Uint8Array, pos: number, end: number, max: number, current: number): number {
  if (current >= 0) return failedAt(DOUBLED_KEY, pos, skipToken(buf, pos, end));
  return readDecimal(buf, pos, end, max);
}

/** No more digits than a u64 counter or a timestamp needs: 15 keeps it an exact double. */
const ANY_COUNT = Number.MAX_SAFE_INTEGER;

function skipToken(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && buf[pos] !== SPACE) pos++;
  return pos;
}

/** Reads an address value (IPv4 fast path, else IPv6 text) into tuple[field]; end position or -1. */
function readAddress(buf: Uint8Array, pos: number, end: number, tuple: Tuple, field: 'src' | 'dst'): number {
  // IPv4 in the same pass that finds the token's end; anything else falls back to IPv6 text.
  const start = pos;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (; pos < end; pos++) {
    const byte = buf[pos]!;
    if (byte === SPACE) break;
    if (byte >= ZERO && byte <= NINE && digits < 3) {
      octet = octet * 10 + (byte - ZERO);
      digits++;
    } else if (byte === 0x2e && digits > 0 && octet <= 255 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      dots = -1;
      break;
    }
  }
  if (dots === 3 && digits > 0 && octet <= 255) {
    tuple[field] = (value * 256 + octet) | 0;
    return pos;
  }
  const tokenEnd = skipToken(buf, pos, end);
  const v6 = ipv6FromBytes(buf, start, tokenEnd);
  if (v6 === undefined) return failedAt(BAD_ADDRESS, start, tokenEnd);
  tuple[field] = v6;
  return tokenEnd;
}

const UNREPLIED_TOKEN = '[UNREPLIED]';
const ASSURED_TOKEN = '[ASSURED]';
const OFFLOAD_TOKEN = '[OFFLOAD]';
const HW_OFFLOAD_TOKEN = '[HW_OFFLOAD]';

/**
 * The tuples and trailing attributes: `key=value` tokens and bracketed flags, in one pass.
 * Long because it is the hot path's inner loop: one switch over every key the kernel prints, on the
 * key's length then its first byte, so a token costs a few byte compares and the cursor and tuple
 * stay locals, for the same reason as parseEntryLine's header loop.
 */
function parseBody(buf: Uint8Array, pos: number, end: number, entry: ConntrackEntry): boolean {
  let tuple = entry.orig;
  let inReply = false;
  while (pos < end) {
    while (pos < end && buf[pos] === SPACE) pos++;
    if (pos >= end) break;
    const tokenStart = pos;
    const byte0 = buf[pos]!;
    if (byte0 === OPEN_BRACKET) {
      pos = skipToken(buf, pos, end);
      // The kernel's exact words; other bracketed annotations ([start=..]) carry nothing we aggregate.
      const length = pos - tokenStart;
      const b1 = buf[tokenStart + 1];
      if (length === 11 && b1 === 0x55 && sameBytes(UNREPLIED_TOKEN, buf, tokenStart, pos))
        entry.flags |= FLAG.UNREPLIED;
      else if (length === 9 && b1 === 0x41 && sameBytes(ASSURED_TOKEN, buf, tokenStart, pos))
        entry.flags |= FLAG.ASSURED;
      else if (length === 9 && b1 === 0x4f && sameBytes(OFFLOAD_TOKEN, buf, tokenStart, pos))
        entry.flags |= FLAG.OFFLOAD;
      else if (length === 12 && b1 === 0x48 && sameBytes(HW_OFFLOAD_TOKEN, buf, tokenStart, pos))
        entry.flags |= FLAG.HW_OFFLOAD;
      continue;
    }
    while (pos < end && buf[pos] !== EQUALS && buf[pos] !== SPACE) pos++;
    if (pos >= end || buf[pos] !== EQUALS) return fail(BARE_WORD, tokenStart, skipToken(buf, pos, end));
    const keyLength = pos - tokenStart;
    const k1 = buf[tokenStart + 1];
    pos++;
    switch (keyLength) {
      case 2: // id
        if (byte0 === 0x69) {
          pos = readOnce(buf, pos, end, U16_MAX, tuple.icmpId);
          if (pos >= 0) tuple.icmpId = scannedNumber;
        } else pos = skipToken(buf, pos, end);
        break;
      case 3:
        if (byte0 === 0x73 && k1 === 0x72) {
          // src: the second src starts the reply tuple; a third is one too many
          if (!isUnset(tuple.src)) {
            if (inReply) return fail(DOUBLED_KEY, tokenStart, skipToken(buf, pos, end));
            inReply = true;
            tuple = entry.reply;
          }
          pos = readAddress(buf, pos, end, tuple, 'src');
        } else if (byte0 === 0x64 && k1 === 0x73) {
          if (!isUnset(tuple.dst)) return fail(DOUBLED_KEY, tokenStart, skipToken(buf, pos, end));
          pos = readAddress(buf, pos, end, tuple, 'dst');
        } else if (byte0 === 0x75) {
          pos = readOnce(buf, pos, end, U32_MAX, entry.use);
          entry.use = scannedNumber;
        } else pos = skipToken(buf, pos, end);
        break;
      case 4:
        if (byte0 === 0x74) {
          pos = readOnce(buf, pos, end, U8_MAX, tuple.sport);
          tuple.sport = scannedNumber; // type
        } else if (byte0 === 0x63) {
          pos = readOnce(buf, pos, end, U8_MAX, tuple.dport);
          tuple.dport = scannedNumber; // code
        } else if (byte0 === 0x6d) {
          pos = readOnce(buf, pos, end, U32_MAX, entry.mark);
          entry.mark = scannedNumber; // mark
        } else if (byte0 === 0x7a) {
          pos = readOnce(buf, pos, end, U16_MAX, entry.zone);
          entry.zone = scannedNumber; // zone
        } else pos = skipToken(buf, pos, end);
        break;
      case 5:
        if (byte0 === 0x73) {
          pos = readOnce(buf, pos, end, U16_MAX, tuple.sport);
          tuple.sport = scannedNumber; // sport
        } else if (byte0 === 0x64) {
          pos = readOnce(buf, pos, end, U16_MAX, tuple.dport);
          tuple.dport = scannedNumber; // dport
        } else if (byte0 === 0x62) {
          pos = readOnce(buf, pos, end, ANY_COUNT, tuple.bytes);
          tuple.bytes = scannedNumber; // bytes
        } else pos = skipToken(buf, pos, end);
        break;
      case 6: {
        const valueStart = pos;
        pos = skipToken(buf, pos, end);
        if (byte0 === 0x73 && k1 === 0x72) {
          if (tuple.sport >= 0) return fail(DOUBLED_KEY, tokenStart, pos);
          tuple.sport = numberAt(buf, valueStart, pos); // srckey
          if (tuple.sport < 0) return fail(BAD_NUMBER, valueStart, pos);
          if (tuple.sport > U16_MAX) return outOfRange(valueStart, pos, U16_MAX);
        } else if (byte0 === 0x64) {
          if (tuple.dport >= 0) return fail(DOUBLED_KEY, tokenStart, pos);
          tuple.dport = numberAt(buf, valueStart, pos); // dstkey
          if (tuple.dport < 0) return fail(BAD_NUMBER, valueStart, pos);
          if (tuple.dport > U16_MAX) return outOfRange(valueStart, pos, U16_MAX);
        } else if (byte0 === 0x73)
          entry.secctx = latin1(buf, valueStart, pos); // secctx
        else if (byte0 === 0x68)
          entry.helper = latin1(buf, valueStart, pos); // helper
        else if (byte0 === 0x6c) entry.labels = latin1(buf, valueStart, pos); // labels
        break;
      }
      case 7:
        if (byte0 === 0x70) {
          pos = readOnce(buf, pos, end, ANY_COUNT, tuple.packets);
          tuple.packets = scannedNumber; // packets
        } else pos = skipToken(buf, pos, end);
        break;
      case 9:
        pos = byte0 === 0x7a ? readDecimal(buf, pos, end, U16_MAX) : skipToken(buf, pos, end);
        if (byte0 === 0x7a) entry.orig.zone = scannedNumber; // zone-orig
        break;
      case 10:
        if (byte0 === 0x7a) {
          pos = readDecimal(buf, pos, end, U16_MAX);
          entry.reply.zone = scannedNumber; // zone-reply
        } else if (byte0 === 0x64) {
          pos = readDecimal(buf, pos, end, ANY_COUNT);
          entry.deltaTimeSeconds = scannedNumber; // delta-time
        } else pos = skipToken(buf, pos, end);
        break;
      default:
        pos = skipToken(buf, pos, end); // unknown keys from newer kernels or tools are tolerated
        break;
    }
    if (pos < 0) return false;
  }
  return true;
}
