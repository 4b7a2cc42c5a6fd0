import { LOSS_COUNTERS } from '../core/counters.js';
import { CtdoctorError } from '../core/errors.js';
import type { LossCounter } from './apiStatus.js';
import type { HistoryPoint, HistoryReading } from './historyPoint.js';

/**
 * One namespace's series, aligned with the body's `t`: a point is null where the namespace was not
 * in that sample (it appeared later, or vanished), and a rate is null at its first point.
 */
export type NamespaceHistory = {
  netns: number;
  name: string | null;
  entries: (number | null)[];
  max: (number | null)[];
} & Record<LossCounter, (number | null)[]>;

/**
 * Columns, not one object per point: an hour of 200 namespaces is 720 × 200 points, and columns
 * are what uPlot draws from (`[t, ...series]`) without a copy.
 */
export interface ServeHistoryBody {
  schema: 'ctdoctor.serve-history/v1';
  intervalSeconds: number;
  /** Sample times, Unix seconds, oldest first. */
  t: number[];
  namespaces: NamespaceHistory[];
}

export interface HistoryQuery {
  /** Only this namespace (by inode); every one when undefined. */
  netns: number | undefined;
  /** Only the samples of the last `seconds` before the latest one; all when undefined. */
  seconds: number | undefined;
}

/** `?netns=INODE&seconds=N`; anything else is a 400 with a line that says what is accepted. */
export function parseHistoryQuery(query: URLSearchParams): HistoryQuery {
  for (const key of query.keys()) {
    if (key !== 'netns' && key !== 'seconds')
      throw new CtdoctorError('usage', `unknown parameter "${key}": /api/history takes netns and seconds`);
  }
  const netns = query.get('netns');
  const seconds = query.get('seconds');
  if (netns !== null && !/^\d{1,10}$/.test(netns))
    throw new CtdoctorError('usage', `netns=${netns} is not a namespace inode (a whole number)`);
  if (seconds !== null && !(/^\d+(\.\d+)?$/.test(seconds) && Number(seconds) > 0))
    throw new CtdoctorError('usage', `seconds=${seconds} is not a positive number of seconds`);
  return {
    netns: netns === null ? undefined : Number(netns),
    seconds: seconds === null ? undefined : Number(seconds),
  };
}

/** Change per second of a counter between two readings; a counter that went down (reset) reads 0. */
function ratePerSecond(
  before: HistoryReading | undefined,
  after: HistoryReading,
  counter: LossCounter,
  seconds: number,
): number | null {
  const from = before?.counters[counter];
  const to = after.counters[counter];
  if (from === undefined || to === undefined || seconds <= 0) return null;
  return to > from ? (to - from) / seconds : 0;
}

/** The sample's readings by inode, only `netns`'s when the query names one. */
function readingsByInode(
  sample: HistoryPoint | undefined,
  netns: number | undefined,
): Map<number, HistoryReading> {
  const readings = sample?.namespaces ?? [];
  return new Map(
    (netns === undefined ? readings : readings.filter((reading) => reading.inode === netns)).map(
      (reading) => [reading.inode, reading],
    ),
  );
}

function emptyHistory(reading: HistoryReading, points: number): NamespaceHistory {
  const column = () => new Array<number | null>(points).fill(null);
  return {
    netns: reading.inode,
    name: reading.name ?? null,
    entries: column(),
    max: column(),
    ...(Object.fromEntries(LOSS_COUNTERS.map((name) => [name, column()])) as Record<
      LossCounter,
      (number | null)[]
    >),
  };
}

/**
 * The samples (oldest first) as columns. Rates are taken between consecutive samples of the whole
 * history, so a narrowed window's first point has its rate too.
 */
export function serveHistoryBody(
  samples: readonly HistoryPoint[],
  query: HistoryQuery,
  intervalSeconds: number,
): ServeHistoryBody {
  const newest = samples.at(-1)?.takenAtMs ?? 0;
  const first =
    query.seconds === undefined
      ? 0
      : samples.findIndex((sample) => sample.takenAtMs >= newest - query.seconds! * 1000);
  const window = samples.slice(Math.max(0, first));
  const byInode = new Map<number, NamespaceHistory>();
  let previous = first > 0 ? samples[first - 1] : undefined;
  let previousByInode = readingsByInode(previous, query.netns);
  window.forEach((sample, point) => {
    const seconds = previous ? (sample.takenAtMs - previous.takenAtMs) / 1000 : 0;
    const current = readingsByInode(sample, query.netns);
    for (const reading of current.values()) {
      let history = byInode.get(reading.inode);
      if (!history) {
        history = emptyHistory(reading, window.length);
        byInode.set(reading.inode, history);
      }
      history.entries[point] = reading.entries;
      history.max[point] = reading.max;
      const before = previousByInode.get(reading.inode);
      for (const counter of LOSS_COUNTERS)
        history[counter][point] = ratePerSecond(before, reading, counter, seconds);
    }
    previous = sample;
    previousByInode = current;
  });
  return {
    schema: 'ctdoctor.serve-history/v1',
    intervalSeconds,
    t: window.map((sample) => sample.takenAtMs / 1000),
    namespaces: [...byInode.values()],
  };
}
