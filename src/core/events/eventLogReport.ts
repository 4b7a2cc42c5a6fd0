import type { TopItem } from '../analysis/topK.js';
import { CtdoctorError } from '../errors.js';
import type { EventKind } from './eventLine.js';
import type { EventLogReading } from './eventLog.js';
import { mixedInputError } from './savedInputKind.js';

/** One ranked key of the log: the new entries it created, and per second when the log has timestamps. */
export interface EventLogCount {
  newEntries: number;
  /** How many of newEntries Space-Saving may have invented (src/core/analysis/topK.ts); 0 while exact. */
  errorEntries: number;
  /** newEntries / all new entries of the log. */
  shareOfNew: number;
  /** newEntries / the log's span; null without timestamps. */
  newPerSecond: number | null;
}

export interface EventLogSource extends EventLogCount {
  source: string;
}

export interface EventLogDestination extends EventLogCount {
  destination: string;
  /** null for protocols without ports (icmp, gre). */
  port: number | null;
  protocol: string;
}

export interface EventLogProtocol extends EventLogCount {
  protocol: string;
}

/** `analyze` of a saved `conntrack -E` log: who created entries over the log's span. */
export interface EventLogReport {
  schema: 'ctdoctor.analyze-events/v1';
  source: { kind: 'file' | 'stdin'; description: string };
  /** What the log was saved with, as its lines show. */
  format: { timestamps: boolean; conntrackIds: boolean; eventKinds: EventKind[] };
  /** First to last event, from `-o timestamp`; null without timestamps. */
  span: { firstAt: string; lastAt: string; seconds: number } | null;
  /** Why there are counts but no per-second rates; null when every rate is given. */
  ratesUnavailable: string | null;
  events: { new: number; update: number; destroy: number };
  newPerSecond: number | null;
  destroyPerSecond: number | null;
  /** new − destroy over the log. */
  netGrowth: number;
  netGrowthPerSecond: number | null;
  /** The top creators: sources ranked by the entries they created. */
  topSources: EventLogSource[];
  topDestinations: EventLogDestination[];
  byProtocol: EventLogProtocol[];
  /** conntrack's ENOBUFS warnings in the log (saved with 2>&1): events were lost there. */
  lostEventWarnings: number;
  lines: { read: number; unreadable: number; unreadableExample: string | null };
  /** What the numbers cannot say, in an operator's words. */
  notes: string[];
}

/** Seconds between first and last event when every event has a timestamp, else why not. */
function spanOf(reading: EventLogReading, events: number): { seconds: number } | { why: string } {
  if (reading.timestamped === 0)
    return {
      why: 'the log has no timestamps (saved without conntrack -E -o timestamp): counts only',
    };
  if (reading.timestamped < events)
    return { why: `only ${reading.timestamped} of ${events} events have a timestamp: counts only` };
  const seconds = reading.lastSeconds! - reading.firstSeconds!;
  if (!(seconds > 0)) return { why: 'every event has the same timestamp: counts only' };
  return { seconds };
}

/**
 * What the counts cannot say. The kernel sends an expired entry's DESTROY when its garbage collector
 * frees it, not when its timer runs out: seen here, 3 DESTROY events in the 15 s after 600 new UDP
 * flows with a 2 s timeout. So a log's destroys lag its creations, and a log without any may just
 * be a short one, or one saved with `-e NEW`.
 */
function notesOf(reading: EventLogReading): string[] {
  const notes: string[] = [];
  if (reading.churn.created > 0 && !reading.kindsSeen.includes('DESTROY'))
    notes.push(
      'no DESTROY events: the log was saved with -e NEW, or no entry was freed in its span (the kernel reports an expired entry when its garbage collector frees it, up to a minute late); net growth counts every new entry',
    );
  if (reading.lostEventWarnings > 0)
    notes.push(
      `conntrack warned ${reading.lostEventWarnings} times that it lost events (ENOBUFS): the counts are low; save the next log with a larger buffer (conntrack -E -b 16777216)`,
    );
  return notes;
}

/**
 * The report of one pass over an event log. A log in which no line is an event is refused: "0 new
 * entries" would read as a quiet host when nothing was read at all. So is a log with table entries
 * in it.
 */
export function buildEventLogReport(
  reading: EventLogReading,
  source: EventLogReport['source'],
): EventLogReport {
  const { churn } = reading;
  const events = churn.created + churn.destroyed + reading.updated;
  if (events === 0)
    throw new CtdoctorError(
      'bad-input',
      `nothing in ${source.description} could be read as a conntrack -E event${reading.unreadableExample ? `; ${reading.unreadableExample}` : ''}`,
    );
  if (reading.firstEntryLine !== null)
    throw mixedInputError(source.description, null, reading.firstEntryLine);
  const span = spanOf(reading, events);
  const seconds = 'seconds' in span ? span.seconds : null;
  const perSecond = (count: number) => (seconds === null ? null : count / seconds);
  const counted = (item: TopItem<unknown>): EventLogCount => ({
    newEntries: item.count,
    errorEntries: item.error,
    shareOfNew: churn.created > 0 ? item.count / churn.created : 0,
    newPerSecond: perSecond(item.count),
  });
  return {
    schema: 'ctdoctor.analyze-events/v1',
    source,
    format: {
      timestamps: reading.timestamped === events,
      conntrackIds: reading.withIds > 0,
      eventKinds: reading.kindsSeen,
    },
    span:
      seconds === null
        ? null
        : {
            firstAt: new Date(reading.firstSeconds! * 1000).toISOString(),
            lastAt: new Date(reading.lastSeconds! * 1000).toISOString(),
            seconds,
          },
    ratesUnavailable: 'why' in span ? span.why : null,
    events: { new: churn.created, update: reading.updated, destroy: churn.destroyed },
    newPerSecond: perSecond(churn.created),
    destroyPerSecond: perSecond(churn.destroyed),
    netGrowth: churn.created - churn.destroyed,
    netGrowthPerSecond: perSecond(churn.created - churn.destroyed),
    topSources: churn.topSources.map((item) => ({ source: item.key, ...counted(item) })),
    topDestinations: churn.topDestinations.map((item) => ({ ...item.key, ...counted(item) })),
    byProtocol: churn.byProtocol.map((item) => ({ protocol: item.key, ...counted(item) })),
    lostEventWarnings: reading.lostEventWarnings,
    lines: {
      read: reading.lines,
      unreadable: reading.unreadable,
      unreadableExample: reading.unreadableExample,
    },
    notes: notesOf(reading),
  };
}
