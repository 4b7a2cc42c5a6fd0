import { ipv6FromBytes } from './ipv6Bytes.js';
import { type ConntrackEntry, FLAG, type Tuple } from './entry.js';

/**
 * Parses one line of /proc/net/nf_conntrack, `conntrack -L` or `conntrack -L -o extended` from raw
 * bytes into `entry` (reused across calls). Returns false for a line that is not a valid entry.
 *
 * Grammar (kernel ct_seq_show; conntrack-tools prints the same without the leading L3 pair):
 *   [l3name l3num] l4name l4num [secs] [STATE] tuple [zone-orig=] [packets= bytes=] [UNREPLIED]
 *   tuple [zone-reply=] [packets= bytes=] [OFFLOAD|HW_OFFLOAD|ASSURED] [mark=] [secctx=] [zone=]
 *   [delta-time=] use=
 * where a tuple is `src= dst=` then `sport= dport=`, `type= code= id=` or `srckey= dstkey=`.
 */

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
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    const upper = byte >= 0x41 && byte <= 0x5a;
    if (!upper && byte !== 0x5f && !(byte >= ZERO && byte <= NINE)) return false;
  }
  return end > start;
}

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
      if (headerTokens > 8) return false;
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
          else return false;
          expect = EXPECT_L3NUM;
        } else {
          if (eq >= 0 || tokenEnd - tokenStart > 16) return false;
          expect = EXPECT_L4NUM;
        }
        continue;
      }
      if (expect === EXPECT_L3NUM) {
        if (decimalAt(buf, tokenStart, tokenEnd) < 0) return false;
        expect = EXPECT_L4NAME;
        continue;
      }
      if (expect === EXPECT_L4NAME) {
        if (eq >= 0 || tokenEnd - tokenStart > 16) return false;
        expect = EXPECT_L4NUM;
        continue;
      }
      if (expect === EXPECT_L4NUM) {
        protoNum = decimalAt(buf, tokenStart, tokenEnd);
        if (protoNum < 0 || protoNum > 255) return false;
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
          if (timeout < 0) return false;
          entry.timeoutSeconds = timeout;
          expect = EXPECT_STATE;
          continue;
        }
        if (!isStateToken(buf, tokenStart, tokenEnd)) return false;
        entry.state = stateName(buf, tokenStart, tokenEnd);
        expect = EXPECT_BODY;
        continue;
      }
      expect = EXPECT_BODY;
    }

    if (eq < 0 && byte0 !== OPEN_BRACKET) return false; // a bare word where key=value belongs
    // The first tuple key or flag ends the header; from here on, parseBody reads it all in one pass.
    pos = tokenStart;
    break;
  }
  if (expect === EXPECT_BODY && !parseBody(buf, pos, lineEnd, entry)) return false;

  if (expect !== EXPECT_BODY) return false;
  const { orig, reply } = entry;
  if (isUnset(orig.src) || isUnset(orig.dst) || isUnset(reply.src) || isUnset(reply.dst)) return false;
  // Ports are mandatory only for TCP and UDP, whose trackers are always built in: without an SCTP
  // or DCCP tracker procfs prints `unknown 132` and no ports (conntrack-tools prints sport=0).
  if (
    (protoNum === 6 || protoNum === 17) &&
    (orig.sport < 0 || orig.dport < 0 || reply.sport < 0 || reply.dport < 0)
  ) {
    return false;
  }
  entry.l3 = l3 !== 0 ? l3 : typeof orig.src === 'string' ? 6 : 4;
  return true;
}

/** Set by readDecimal: the value just read (a module slot avoids allocating a result object). */
let scannedNumber = 0;

/** Reads decimal digits up to a space or the end; returns the end position, or -1 on a bad byte. */
function readDecimal(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  const start = pos;
  for (; pos < end; pos++) {
    const byte = buf[pos]!;
    if (byte === SPACE) break;
    if (byte < ZERO || byte > NINE) return -1;
    value = value * 10 + (byte - ZERO);
  }
  if (pos === start || pos - start > 15) return -1;
  scannedNumber = value;
  return pos;
}

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
  if (v6 === undefined) return -1;
  tuple[field] = v6;
  return tokenEnd;
}

/** The tuples and trailing attributes: `key=value` tokens and bracketed flags, in one pass. */
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
      const length = pos - tokenStart;
      const b1 = buf[tokenStart + 1];
      if (length === 11 && b1 === 0x55)
        entry.flags |= FLAG.UNREPLIED; // [UNREPLIED]
      else if (length === 9 && b1 === 0x41)
        entry.flags |= FLAG.ASSURED; // [ASSURED]
      else if (length === 9 && b1 === 0x4f)
        entry.flags |= FLAG.OFFLOAD; // [OFFLOAD]
      else if (length === 12 && b1 === 0x48) entry.flags |= FLAG.HW_OFFLOAD; // [HW_OFFLOAD]
      continue; // other bracketed annotations ([start=..], [id=..]) carry nothing we aggregate
    }
    while (pos < end && buf[pos] !== EQUALS && buf[pos] !== SPACE) pos++;
    if (pos >= end || buf[pos] !== EQUALS) return false; // a bare word where key=value belongs
    const keyLength = pos - tokenStart;
    const k1 = buf[tokenStart + 1];
    pos++;
    switch (keyLength) {
      case 2: // id
        pos = byte0 === 0x69 ? readDecimal(buf, pos, end) : skipToken(buf, pos, end);
        if (byte0 === 0x69 && pos >= 0) tuple.icmpId = scannedNumber;
        break;
      case 3:
        if (byte0 === 0x73 && k1 === 0x72) {
          // src: the second src starts the reply tuple
          if (!inReply && !isUnset(tuple.src)) {
            inReply = true;
            tuple = entry.reply;
          }
          pos = readAddress(buf, pos, end, tuple, 'src');
        } else if (byte0 === 0x64 && k1 === 0x73) pos = readAddress(buf, pos, end, tuple, 'dst');
        else if (byte0 === 0x75) {
          pos = readDecimal(buf, pos, end);
          entry.use = scannedNumber;
        } else pos = skipToken(buf, pos, end);
        break;
      case 4:
        pos = readDecimal(buf, pos, end);
        if (byte0 === 0x74)
          tuple.sport = scannedNumber; // type
        else if (byte0 === 0x63)
          tuple.dport = scannedNumber; // code
        else if (byte0 === 0x6d)
          entry.mark = scannedNumber; // mark
        else if (byte0 === 0x7a) entry.zone = scannedNumber; // zone
        break;
      case 5:
        pos = readDecimal(buf, pos, end);
        if (byte0 === 0x73)
          tuple.sport = scannedNumber; // sport
        else if (byte0 === 0x64)
          tuple.dport = scannedNumber; // dport
        else if (byte0 === 0x62) tuple.bytes = scannedNumber; // bytes
        break;
      case 6: {
        const valueStart = pos;
        pos = skipToken(buf, pos, end);
        if (byte0 === 0x73 && k1 === 0x72)
          tuple.sport = numberAt(buf, valueStart, pos); // srckey
        else if (byte0 === 0x64)
          tuple.dport = numberAt(buf, valueStart, pos); // dstkey
        else if (byte0 === 0x73)
          entry.secctx = latin1(buf, valueStart, pos); // secctx
        else if (byte0 === 0x68)
          entry.helper = latin1(buf, valueStart, pos); // helper
        else if (byte0 === 0x6c) entry.labels = latin1(buf, valueStart, pos); // labels
        break;
      }
      case 7:
        pos = byte0 === 0x70 ? readDecimal(buf, pos, end) : skipToken(buf, pos, end);
        if (byte0 === 0x70) tuple.packets = scannedNumber; // packets
        break;
      case 9:
        pos = byte0 === 0x7a ? readDecimal(buf, pos, end) : skipToken(buf, pos, end);
        if (byte0 === 0x7a) entry.orig.zone = scannedNumber; // zone-orig
        break;
      case 10:
        pos = readDecimal(buf, pos, end);
        if (byte0 === 0x7a)
          entry.reply.zone = scannedNumber; // zone-reply
        else if (byte0 === 0x64) entry.deltaTimeSeconds = scannedNumber; // delta-time
        break;
      default:
        pos = skipToken(buf, pos, end); // unknown keys from newer kernels or tools are tolerated
        break;
    }
    if (pos < 0) return false;
  }
  return true;
}
