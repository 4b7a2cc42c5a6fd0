import { CtdoctorError } from '../errors.js';
import type { ParseCounts } from '../table/entryStream.js';

/** What analyze reads, in the words of the tools that write it. */
const EXPECTED = 'expected the lines of /proc/net/nf_conntrack, conntrack -L or conntrack -L -o extended';

export interface TableReading {
  /** A path, stdin or the command that was read. */
  description: string;
  counts: ParseCounts;
  /** The read stopped early because nothing in its first `abandonedAfterBytes` was an entry. */
  abandoned: boolean;
  abandonedAfterBytes: number;
  /** A saved dump or stdin (a live table may be empty; a file of no entries is not a table). */
  saved: boolean;
}

/**
 * Refuses input that is not a table, in one line naming what was expected: a `conntrack -E` event
 * log, input of which nothing is an entry (random bytes, a file of NULs), an empty dump. An empty
 * live table is an answer, not an error. "0 entries, no findings" would tell an operator the table
 * is healthy when nothing was read at all.
 */
export function refuseUnreadableTable(reading: TableReading): void {
  const { description, counts } = reading;
  if (counts.events > 0 && counts.events >= counts.entries)
    throw new CtdoctorError(
      'bad-input',
      `${description}: this is a conntrack -E event log, not a table dump; save the table with conntrack -L -o extended (or cat /proc/net/nf_conntrack) and analyse that`,
    );
  if (counts.entries > 0 || (counts.malformed === 0 && !reading.saved)) return;
  if (reading.abandoned)
    throw new CtdoctorError(
      'bad-input',
      `nothing in the first ${reading.abandonedAfterBytes >> 20} MiB of ${description} could be read as a conntrack entry (${EXPECTED})${counts.malformedExample ? `; ${counts.malformedExample}` : ''}`,
    );
  if (counts.malformed > 0)
    throw new CtdoctorError(
      'bad-input',
      `nothing in ${description} could be read as a conntrack entry (${EXPECTED}); ${counts.malformedExample}`,
    );
  throw new CtdoctorError(
    'bad-input',
    `${description} holds no conntrack entries: it is empty (${EXPECTED})`,
  );
}

/** Most lines were not entries: the report says so first, before any number read from the rest. */
export function mostlyMalformed(counts: ParseCounts): boolean {
  return counts.malformed > counts.entries;
}
