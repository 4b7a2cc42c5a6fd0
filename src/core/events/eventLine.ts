import type { AddressKey } from '../table/address.js';
import { createEntry } from '../table/entry.js';
import { parseEntryLine } from '../table/lineParser.js';

export type EventKind = 'NEW' | 'UPDATE' | 'DESTROY';

/** One `conntrack -E` line, reduced to what churn is counted by. */
export interface ConntrackEvent {
  kind: EventKind;
  /** `-o timestamp`: the kernel event's wall-clock time in seconds; undefined without it. */
  timestampSeconds: number | undefined;
  /** `-o id`: the entry's conntrack id; undefined without it. */
  id: number | undefined;
  protoNum: number;
  source: AddressKey;
  destination: AddressKey;
  /** Original-direction destination port; -1 for protocols without ports. */
  destinationPort: number;
}

/**
 * `conntrack -E [-o timestamp,id]` prints (conntrack-tools src/conntrack.c event_cb, 1.4.7):
 *   [1796167540.947700]\t    [NEW] udp 17 30 src=… dst=… sport=… dport=… [UNREPLIED] src=… … mark=0 id=1444424830 [USERSPACE] portid=27874
 * i.e. an optional `[seconds.micros]` and a tab, the event type padded to 9 columns, an entry as
 * `conntrack -L` prints it, then the conntrack id (`-o id`) and, for changes made by a program,
 * `[USERSPACE] portid= progname=`. Those trailing words are not entry fields (the entry parser reads
 * a bare `id=` as the ICMP id, a u16), so they are cut before the entry is parsed.
 */
export function parseEventLine(line: string): ConntrackEvent | undefined {
  let rest = line.trim();
  let timestampSeconds: number | undefined;
  const stamp = /^\[(\d+\.\d+)\]\s*/.exec(rest);
  if (stamp) {
    timestampSeconds = Number(stamp[1]);
    rest = rest.slice(stamp[0].length);
  }
  const kind = /^\[(NEW|UPDATE|DESTROY)\]\s+/.exec(rest);
  if (!kind) return undefined;
  const words = rest.slice(kind[0].length).split(/\s+/);
  while (words.length > 0 && /^(?:\[USERSPACE\]|portid=|progname=)/.test(words[words.length - 1]!))
    words.pop();
  let id: number | undefined;
  // The conntrack id is the last `id=`; an ICMP tuple's own `id=` always follows its `code=`.
  const last = words[words.length - 1];
  if (last?.startsWith('id=') && !words[words.length - 2]?.startsWith('code=')) {
    id = Number(last.slice(3));
    words.pop();
  }
  const bytes = new TextEncoder().encode(words.join(' '));
  const entry = createEntry();
  if (!parseEntryLine(bytes, 0, bytes.length, entry)) return undefined;
  return {
    kind: kind[1] as EventKind,
    timestampSeconds,
    id,
    protoNum: entry.protoNum,
    source: entry.orig.src,
    destination: entry.orig.dst,
    destinationPort: entry.orig.dport,
  };
}

/**
 * The start of an event line, `[NEW] `, `[UPDATE] `, `[DESTROY] `, after `[seconds.micros]\t` with
 * `-o timestamp`: enough to tell an event log from a table, even where the rest of the line is damaged.
 */
export const EVENT_LINE_START = /^\s*(?:\[\d+\.\d+\]\s+)?\[(?:NEW|UPDATE|DESTROY)\]\s/;

/** conntrack-tools' stderr line when the kernel dropped events for a full socket (src/conntrack.c). */
export const LOST_EVENTS_LINE = /We have hit ENOBUFS! We are losing events/;
