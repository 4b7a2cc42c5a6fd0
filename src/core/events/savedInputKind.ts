import { CtdoctorError } from '../errors.js';
import { createEntry } from '../table/entry.js';
import { parseEntryLine } from '../table/lineParser.js';
import { EVENT_LINE_START } from './eventLine.js';

/**
 * How many non-empty lines decide what a saved input is. Both formats are regular from their first
 * line; more lines only let a damaged first line (a log cut from the middle with `tail -c`) be
 * outvoted.
 */
export const DECIDING_LINES = 16;

/** A saved input's kind: a `conntrack -E` log is read as events; anything else goes to the table reader. */
export type SavedInputKind = 'events' | 'table';

/**
 * Decides from the first DECIDING_LINES non-empty lines of `head` (the start of the input) whether
 * it is an event log or a table dump. A table dump never holds an event line and an event log never
 * holds an entry line, so input with both is neither: refused in one line naming the fix. Input
 * with neither (garbage, empty) is the table reader's to refuse, in the words it already has.
 */
export function savedInputKind(head: string, description: string): SavedInputKind {
  const entry = createEntry();
  const encoder = new TextEncoder();
  let firstEvent = 0;
  let firstEntry = 0;
  let seen = 0;
  // The head's last line may be cut: a cut event still starts like one, a cut entry just does not count.
  for (const [index, raw] of head.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (EVENT_LINE_START.test(line)) firstEvent ||= index + 1;
    else {
      const bytes = encoder.encode(line);
      if (parseEntryLine(bytes, 0, bytes.length, entry)) firstEntry ||= index + 1;
    }
    if (++seen === DECIDING_LINES) break;
  }
  if (firstEvent && firstEntry) throw mixedInputError(description, firstEvent, firstEntry);
  return firstEvent ? 'events' : 'table';
}

/**
 * Input that is both: its first lines decided one kind, and lines of the other came later (two
 * files concatenated, a log appended to a dump). Numbers read from either part would be wrong.
 */
export function mixedInputError(
  description: string,
  firstEventLine: number | null,
  firstEntryLine: number | null,
): CtdoctorError {
  const at = (line: number | null) => (line === null ? '' : ` (line ${line})`);
  return new CtdoctorError(
    'bad-input',
    `${description} mixes conntrack -E events${at(firstEventLine)} and table entries${at(firstEntryLine)}: analyse the event log and the table dump as separate files`,
  );
}
