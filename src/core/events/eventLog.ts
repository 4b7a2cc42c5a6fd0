import { createEntry } from '../table/entry.js';
import { MAX_LINE_BYTES } from '../table/entryStream.js';
import { parseEntryLine } from '../table/lineParser.js';
import { ChurnCounter, type ChurnTally } from './churn.js';
import { type EventKind, LOST_EVENTS_LINE, parseEventLine } from './eventLine.js';

const NEWLINE = 0x0a;
/** A line quoted in an unreadable line's reason is cut to this. */
const QUOTE_CHARS = 60;

/**
 * Lines conntrack-tools writes to stderr, found in a log saved with `2>&1`: the summary it prints
 * when stopped ("conntrack v1.4.7 (conntrack-tools): 12 flow events have been shown.") and the
 * notice of its buffer size (`-b`). Neither is an event nor damage.
 */
const TOOL_NOISE = /^(?:conntrack v\d|NOTICE: )/;

/** What one pass over a saved `conntrack -E` log counted: the input of the event-log report. */
export interface EventLogReading {
  /** NEW and DESTROY events with bounded top lists; UPDATEs are counted beside them. */
  churn: ChurnTally;
  updated: number;
  /** Events that carried a `-o timestamp` stamp, and the earliest and latest stamp (seconds). */
  timestamped: number;
  firstSeconds: number | null;
  lastSeconds: number | null;
  /** Events that carried a conntrack id (`-o id`). */
  withIds: number;
  kindsSeen: EventKind[];
  /** `We have hit ENOBUFS!` lines (a log saved with 2>&1): conntrack lost events there. */
  lostEventWarnings: number;
  lines: number;
  unreadable: number;
  /** The first unreadable line, as `line N: why "text"`. */
  unreadableExample: string | null;
  /** The first line that is a table entry (`conntrack -L`, procfs): the input is not an event log alone. */
  firstEntryLine: number | null;
}

/**
 * Reads a saved `conntrack -E` log as it streams by, in memory bounded by the top lists' capacity
 * and one line (never by the log's size): bytes in, counts out. Lines that are not events (garbage,
 * a table entry, a line longer than any entry, a last line cut short) are counted, never fatal.
 */
export class EventLogReader {
  private readonly churn: ChurnCounter;
  private readonly decoder = new TextDecoder('latin1');
  private carry: Uint8Array[] = [];
  private carriedBytes = 0;
  private skippingLongLine = false;
  private lineNumber = 0;
  private updated = 0;
  private timestamped = 0;
  private withIds = 0;
  private firstSeconds = Number.POSITIVE_INFINITY;
  private lastSeconds = Number.NEGATIVE_INFINITY;
  private readonly kinds = new Set<EventKind>();
  private lostEventWarnings = 0;
  private unreadable = 0;
  private unreadableExample: string | null = null;
  private firstEntryLine: number | null = null;
  private readonly entry = createEntry();

  /** `capacity`: keys counted exactly per top list before Space-Saving bounds memory. */
  constructor(capacity: number) {
    this.churn = new ChurnCounter(capacity);
  }

  push(bytes: Uint8Array): void {
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, start);
      if (newline < 0) break;
      this.completeLine(bytes.subarray(start, newline));
      start = newline + 1;
    }
    if (start < bytes.length) this.extendCarry(bytes.subarray(start));
  }

  /** Reads a last line without a newline, and returns what the log held; `top` rows per list. */
  end(top: number): EventLogReading {
    if (this.carriedBytes > 0) this.line(this.takeCarry(), true);
    else if (this.skippingLongLine) this.lineNumber++;
    this.skippingLongLine = false;
    const stamped = this.timestamped > 0;
    return {
      churn: this.churn.tally(top),
      updated: this.updated,
      timestamped: this.timestamped,
      firstSeconds: stamped ? this.firstSeconds : null,
      lastSeconds: stamped ? this.lastSeconds : null,
      withIds: this.withIds,
      kindsSeen: (['NEW', 'UPDATE', 'DESTROY'] as const).filter((kind) => this.kinds.has(kind)),
      lostEventWarnings: this.lostEventWarnings,
      lines: this.lineNumber,
      unreadable: this.unreadable,
      unreadableExample: this.unreadableExample,
      firstEntryLine: this.firstEntryLine,
    };
  }

  /** The end of a line arrived: joined to what the previous chunks carried, unless it was too long. */
  private completeLine(tail: Uint8Array): void {
    if (this.skippingLongLine) {
      this.skippingLongLine = false;
      this.lineNumber++;
      return;
    }
    if (this.carriedBytes === 0) {
      this.line(tail, false);
      return;
    }
    this.extendCarry(tail);
    if (!this.skippingLongLine) this.line(this.takeCarry(), false);
    else {
      this.skippingLongLine = false;
      this.lineNumber++;
    }
  }

  /** A line longer than any event is counted once and skipped to its newline, never buffered. */
  private extendCarry(part: Uint8Array): void {
    if (this.skippingLongLine) return;
    if (this.carriedBytes + part.length > MAX_LINE_BYTES) {
      this.carry = [];
      this.carriedBytes = 0;
      this.skippingLongLine = true;
      this.markUnreadable(this.lineNumber + 1, `longer than any event (over ${MAX_LINE_BYTES} bytes)`);
      return;
    }
    // A copy: the caller may reuse the chunk's memory (a file's read buffers are), and a Buffer's
    // slice() is a view, not a copy.
    this.carry.push(Uint8Array.prototype.slice.call(part));
    this.carriedBytes += part.length;
  }

  private takeCarry(): Uint8Array {
    const joined = new Uint8Array(this.carriedBytes);
    let offset = 0;
    for (const part of this.carry) {
      joined.set(part, offset);
      offset += part.length;
    }
    this.carry = [];
    this.carriedBytes = 0;
    return joined;
  }

  private line(bytes: Uint8Array, last: boolean): void {
    this.lineNumber++;
    if (bytes.length > MAX_LINE_BYTES) {
      this.markUnreadable(this.lineNumber, `longer than any event (over ${MAX_LINE_BYTES} bytes)`);
      return;
    }
    const text = this.decoder.decode(bytes).trim();
    if (text === '' || TOOL_NOISE.test(text)) return;
    if (LOST_EVENTS_LINE.test(text)) {
      this.lostEventWarnings++;
      return;
    }
    const event = parseEventLine(text);
    if (!event) {
      this.notAnEvent(bytes, text, last);
      return;
    }
    this.kinds.add(event.kind);
    if (event.kind === 'UPDATE') this.updated++;
    else this.churn.add(event);
    if (event.id !== undefined) this.withIds++;
    const seconds = event.timestampSeconds;
    if (seconds === undefined) return;
    this.timestamped++;
    if (seconds < this.firstSeconds) this.firstSeconds = seconds;
    if (seconds > this.lastSeconds) this.lastSeconds = seconds;
  }

  private notAnEvent(bytes: Uint8Array, text: string, last: boolean): void {
    if (parseEntryLine(bytes, 0, bytes.length, this.entry)) this.firstEntryLine ??= this.lineNumber;
    const why = last ? 'cut short (the last line, without a newline)' : 'not a conntrack -E event';
    this.markUnreadable(this.lineNumber, `${why}: "${quote(text)}"`);
  }

  private markUnreadable(line: number, reason: string): void {
    this.unreadable++;
    this.unreadableExample ??= `line ${line}: ${reason}`;
  }
}

function quote(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > QUOTE_CHARS ? `${printable.slice(0, QUOTE_CHARS)}…` : printable;
}
