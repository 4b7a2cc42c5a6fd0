import { type ConntrackEntry, createEntry } from './entry.js';
import { parseEntryLine } from './lineParser.js';

const NEWLINE = 0x0a;
/** A real entry line is under ~450 bytes even with IPv6, accounting, zones and timestamps. */
export const MAX_LINE_BYTES = 4096;
const EXAMPLE_CHARS = 160;
/** conntrack-tools ends its listing with "conntrack v1.4.7 (conntrack-tools): N flow entries have been shown." */
const TOOL_SUMMARY = Buffer.from('conntrack v');

export interface ParseCounts {
  entries: number;
  malformed: number;
  malformedExample: string | null;
}

function printable(buf: Uint8Array, start: number, end: number): string {
  const slice = Buffer.from(buf.subarray(start, Math.min(end, start + EXAMPLE_CHARS))).toString('latin1');
  const cleaned = slice.replace(/[^\x20-\x7e]/g, '?');
  return end - start > EXAMPLE_CHARS ? `${cleaned}…` : cleaned;
}

/**
 * Splits a byte stream into lines and parses each in place; `onEntry` receives a reused entry.
 * Bad, truncated or oversized lines are counted and skipped, never fatal.
 */
export class EntryStreamParser {
  private readonly entry = createEntry();
  private carry: Buffer | null = null;
  private skippingLongLine = false;
  readonly counts: ParseCounts = { entries: 0, malformed: 0, malformedExample: null };

  constructor(private readonly onEntry: (entry: ConntrackEntry) => void) {}

  push(bytes: Uint8Array): void {
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
      if (this.skippingLongLine) this.skippingLongLine = false;
      else {
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
      // The whole start of the line, so the example reads the same however the reads were cut.
      const head = this.carry ? Buffer.concat([this.carry, part]) : part;
      this.malformed(head, 0, head.length);
      this.carry = null;
      this.skippingLongLine = true;
      return;
    }
    this.carry = this.carry ? Buffer.concat([this.carry, part]) : Buffer.from(part);
  }

  private line(buf: Uint8Array, start: number, end: number): void {
    if (end > start && buf[end - 1] === 0x0d) end--; // tolerate CRLF dumps
    if (end - start > MAX_LINE_BYTES) {
      this.malformed(buf, start, end);
      return;
    }
    if (parseEntryLine(buf, start, end, this.entry)) {
      this.counts.entries++;
      this.onEntry(this.entry);
      return;
    }
    let first = start;
    while (first < end && (buf[first] === 0x20 || buf[first] === 0x09)) first++;
    if (first === end) return; // blank line
    if (end - first >= TOOL_SUMMARY.length && TOOL_SUMMARY.every((byte, i) => buf[first + i] === byte))
      return;
    this.malformed(buf, start, end);
  }

  private malformed(buf: Uint8Array, start: number, end: number): void {
    this.counts.malformed++;
    this.counts.malformedExample ??= printable(buf, start, end);
  }
}
