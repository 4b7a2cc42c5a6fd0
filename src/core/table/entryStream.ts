import { EVENT_LINE_START } from '../events/eventLine.js';
import { type ConntrackEntry, createEntry } from './entry.js';
import {
  MALFORMED_REASONS,
  MISSING_ADDRESS,
  MISSING_PORTS,
  NOT_AN_ENTRY,
  OUT_OF_RANGE,
  lastParse,
  parseEntryLine,
} from './lineParser.js';

const NEWLINE = 0x0a;
/** A real entry line is under ~450 bytes even with IPv6, accounting, zones and timestamps. */
export const MAX_LINE_BYTES = 4096;
/** The token at fault, quoted in a malformed line's reason, is cut to this. */
const TOKEN_CHARS = 60;
/** conntrack-tools ends its listing with "conntrack v1.4.7 (conntrack-tools): N flow entries have been shown." */
const TOOL_SUMMARY = Buffer.from('conntrack v');
const SPACE = 0x20;
const TAB = 0x09;

export interface MalformedLine {
  /** Line number in the input, from 1. */
  line: number;
  /** Why it is not an entry, with the token at fault. */
  reason: string;
}

export interface ParseCounts {
  entries: number;
  malformed: number;
  /** The first malformed line, as `line N: reason`. */
  malformedExample: string | null;
  malformedFirst: MalformedLine | null;
  /** Malformed lines that are `conntrack -E` events (`[NEW] tcp …`): the input is an event log. */
  events: number;
  /** Entries whose protocol name was damaged (`cp      6 …`) and read by the number after it. */
  repairedProtocolNames: number;
  /** Lines read, entries or not. */
  lines: number;
}

export function emptyParseCounts(): ParseCounts {
  return {
    entries: 0,
    malformed: 0,
    malformedExample: null,
    malformedFirst: null,
    events: 0,
    repairedProtocolNames: 0,
    lines: 0,
  };
}

/** Adds the counts of the next part of the same input (its line numbers follow `total`'s). */
export function addParseCounts(total: ParseCounts, next: ParseCounts): void {
  total.entries += next.entries;
  total.malformed += next.malformed;
  total.events += next.events;
  total.repairedProtocolNames += next.repairedProtocolNames;
  if (!total.malformedFirst && next.malformedFirst) {
    const line = total.lines + next.malformedFirst.line;
    total.malformedFirst = { line, reason: next.malformedFirst.reason };
    total.malformedExample = `line ${line}: ${next.malformedFirst.reason}`;
  }
  total.lines += next.lines;
}

function printable(buf: Uint8Array, start: number, end: number): string {
  const slice = Buffer.from(buf.subarray(start, Math.min(end, start + TOKEN_CHARS))).toString('latin1');
  const cleaned = slice.replace(/[^\x20-\x7e]/g, '?');
  return end - start > TOKEN_CHARS ? `${cleaned}…` : cleaned;
}

function isEventLine(buf: Uint8Array, start: number, end: number): boolean {
  return EVENT_LINE_START.test(
    Buffer.from(buf.subarray(start, Math.min(end, start + 64))).toString('latin1'),
  );
}

/** The whole token around lastParse's position: `dport=70000`, not `70000`. */
function faultyToken(buf: Uint8Array, start: number, end: number): string {
  let from = Math.max(lastParse.tokenStart, start);
  let to = Math.min(lastParse.tokenEnd, end);
  while (from > start && buf[from - 1] !== SPACE) from--;
  while (to < end && buf[to] !== SPACE) to++;
  return printable(buf, from, to);
}

function malformedReason(buf: Uint8Array, start: number, end: number): string {
  const reason = MALFORMED_REASONS[lastParse.reason] || MALFORMED_REASONS[NOT_AN_ENTRY];
  // Cut at its end: no token to show.
  if (lastParse.reason === MISSING_ADDRESS || lastParse.reason === MISSING_PORTS) return reason;
  const limit = lastParse.reason === OUT_OF_RANGE ? ` (at most ${lastParse.limit})` : '';
  return `${reason}${limit}: "${faultyToken(buf, start, end)}"`;
}

/**
 * Splits a byte stream into lines and parses each in place; `onEntry` receives a reused entry.
 * Bad, truncated or oversized lines are counted and skipped, never fatal.
 */
export class EntryStreamParser {
  private readonly entry = createEntry();
  private carry: Buffer | null = null;
  private skippingLongLine = false;
  readonly counts: ParseCounts = emptyParseCounts();
  /** The number of the line being read, from 1. */
  private lineNumber = 0;

  constructor(private readonly onEntry: (entry: ConntrackEntry) => void) {}

  /**
   * `firstLine`: the number of the first line starting in `bytes`, when lines reach this parser
   * with gaps (the engine's fallback lines); absent, lines are numbered as they come.
   */
  push(bytes: Uint8Array, firstLine?: number): void {
    if (firstLine !== undefined && !this.carry && !this.skippingLongLine) this.lineNumber = firstLine - 1;
    // Buffer.indexOf is memchr; the parser gets a plain Uint8Array view so its element loads stay
    // monomorphic (Buffer is a subclass).
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    let start = 0;
    if (this.carry || this.skippingLongLine) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        this.extendCarry(chunk);
        return;
      }
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        this.counts.lines++;
      } else {
        const line = Buffer.concat([this.carry!, chunk.subarray(0, newline)]);
        this.carry = null;
        this.line(new Uint8Array(line.buffer, line.byteOffset, line.length), 0, line.length);
      }
      start = newline + 1;
    }
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) break;
      this.line(view, start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) this.extendCarry(chunk.subarray(start));
  }

  /** Flushes a last line without a trailing newline. */
  end(): ParseCounts {
    if (this.carry) {
      const line = this.carry;
      this.carry = null;
      this.line(new Uint8Array(line.buffer, line.byteOffset, line.length), 0, line.length);
    }
    this.skippingLongLine = false;
    return this.counts;
  }

  private extendCarry(part: Uint8Array): void {
    if (this.skippingLongLine) return;
    const carried = this.carry ? this.carry.length : 0;
    if (carried + part.length > MAX_LINE_BYTES) {
      this.lineNumber++;
      this.malformed(`longer than any entry (over ${MAX_LINE_BYTES} bytes)`);
      this.carry = null;
      this.skippingLongLine = true;
      return;
    }
    this.carry = this.carry ? Buffer.concat([this.carry, part]) : Buffer.from(part);
  }

  private line(buf: Uint8Array, start: number, end: number): void {
    this.lineNumber++;
    this.counts.lines++;
    if (end > start && buf[end - 1] === 0x0d) end--; // tolerate CRLF dumps
    if (end - start > MAX_LINE_BYTES) {
      this.malformed(`longer than any entry (over ${MAX_LINE_BYTES} bytes)`);
      return;
    }
    if (parseEntryLine(buf, start, end, this.entry)) {
      this.counts.entries++;
      if (lastParse.protocolNameRepaired) this.counts.repairedProtocolNames++;
      this.onEntry(this.entry);
      return;
    }
    let first = start;
    while (first < end && (buf[first] === SPACE || buf[first] === TAB)) first++;
    if (first === end) return; // blank line
    if (end - first >= TOOL_SUMMARY.length && TOOL_SUMMARY.every((byte, i) => buf[first + i] === byte))
      return;
    if (isEventLine(buf, start, end)) {
      this.counts.events++;
      this.malformed('a conntrack -E event, not a table entry');
      return;
    }
    // The reason is worked out for the first malformed line only: the rest are counted.
    this.malformed(this.counts.malformedFirst ? '' : malformedReason(buf, start, end));
  }

  private malformed(reason: string): void {
    this.counts.malformed++;
    if (this.counts.malformedFirst) return;
    this.counts.malformedFirst = { line: this.lineNumber, reason };
    this.counts.malformedExample = `line ${this.lineNumber}: ${reason}`;
  }
}
