import type { Journal } from '../actions/journal.js';
import {
  type JournaledSysctl,
  type ProcessStart,
  changedSettings,
  journaledChange,
  whoChanged,
} from '../core/settingsDrift.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { failureReason } from '../host/errnoReason.js';
import type { CollectorOutcome, DriftEvent, ServeSample } from './serveSample.js';
import type { TimeoutReadSchedule } from './timeoutReadSchedule.js';

export const DRIFT_COLLECTOR = 'drift';

/**
 * Another namespace's timeouts are read by a child entered into it (`nsenter … grep -r`, a /proc/sys
 * file shows the namespace of the process that opens it): ~2.6 ms of serve's CPU each (measured).
 * They are read round-robin, a namespace never read first, at most this many in each timeout
 * reading (timeoutReadSchedule.ts: once a minute at 5 s): 200 namespaces are each checked every
 * 34 min, 500 every 84 min. They rarely change after the namespace is set up (a pod's sysctls are
 * written at its start), so this is the cheap end of the trade-off.
 */
const MAX_OTHER_READS_PER_TIMEOUT_READING = 6;

/** The settings a namespace was last seen with, and when each was read (a change happened after that). */
interface Reading {
  values: Record<string, number>;
  /** max and buckets are read every sample, the timeouts seldom: each setting has its own time. */
  readAtMs: Record<string, number>;
}

export interface DriftEvidence {
  /** Sysctl changes ctdoctor journaled (empty without a journal). */
  journal: () => Promise<JournaledSysctl[]>;
  processes: () => Promise<ProcessStart[]>;
}

/** Journal entries' sysctl changes, for the attribution. */
export async function journaledSysctls(journal: Journal): Promise<JournaledSysctl[]> {
  const { entries } = await journal.all();
  return entries.flatMap((entry) =>
    entry.changes.flatMap((change) =>
      change.kind === 'sysctl'
        ? [
            {
              id: entry.id,
              command: entry.command,
              timeMs: Date.parse(entry.time),
              key: change.key,
              after: change.after,
            },
          ]
        : [],
    ),
  );
}

/** The conntrack settings of `files`' namespace worth watching, by sysctl name. */
async function watchedSettings(files: NetnsFiles): Promise<Record<string, number>> {
  const { timeouts } = await readConntrackSettings(files);
  return Object.fromEntries(Object.entries(timeouts).map(([name, value]) => [`nf_conntrack_${name}`, value]));
}

/**
 * Compares each sample's conntrack settings with the previous reading: nf_conntrack_max and
 * _buckets (host-wide, from the sample) every sample; the timeouts only at the samples the schedule
 * picks (ctdoctor's own namespace's, and other namespaces' round-robin). A change is reported at
 * the sample that sees it, which for a timeout may be up to a minute after it was made. The first
 * reading of a namespace is its baseline.
 */
export class DriftWatcher {
  private readonly readings = new Map<number, Reading>();
  private readonly totals = new Map<number, Map<string, number>>();
  /** The last namespace the round-robin read. */
  private lastInode = 0;

  constructor(
    private readonly schedule: TimeoutReadSchedule,
    private readonly evidence: DriftEvidence,
  ) {}

  async check(
    sample: ServeSample,
    own: NetnsFiles,
    others: readonly NetnsFiles[],
  ): Promise<{ events: DriftEvent[]; outcome: CollectorOutcome }> {
    const started = performance.now();
    const present = new Set(sample.namespaces.map((reading) => reading.inode));
    for (const inode of this.readings.keys()) if (!present.has(inode)) this.readings.delete(inode);
    for (const inode of this.totals.keys()) if (!present.has(inode)) this.totals.delete(inode);
    const host = sample.namespaces.find((reading) => reading.initial) ?? sample.namespaces[0];
    const { current, failure } = this.schedule.next()
      ? await this.readTimeouts(
          own,
          others.filter((files) => present.has(files.target.inode)),
        )
      : { current: new Map<number, Record<string, number>>(), failure: undefined };
    if (host) {
      const global = { nf_conntrack_max: host.max, nf_conntrack_buckets: host.buckets };
      current.set(host.inode, { ...current.get(host.inode), ...global });
    }
    const events = await this.compare(current, sample.takenAtMs);
    // ctdoctor's own changes are journaled, not drift: /api/drift lists them, the counter does not.
    for (const event of events.filter((change) => change.byCtdoctor === undefined)) {
      const settings = this.totals.get(event.netns) ?? new Map<string, number>();
      settings.set(event.setting, (settings.get(event.setting) ?? 0) + 1);
      this.totals.set(event.netns, settings);
    }
    return {
      events,
      outcome: {
        collector: DRIFT_COLLECTOR,
        ok: failure === undefined,
        durationSeconds: (performance.now() - started) / 1000,
        message: failure,
      },
    };
  }

  /** The timeouts of ctdoctor's own namespace and of this reading's share of the others, by inode. */
  private async readTimeouts(
    own: NetnsFiles,
    others: readonly NetnsFiles[],
  ): Promise<{ current: Map<number, Record<string, number>>; failure: string | undefined }> {
    let failure: string | undefined;
    const current = new Map<number, Record<string, number>>();
    try {
      current.set(own.target.inode, await watchedSettings(own));
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    for (const files of this.nextOthers(others)) {
      try {
        current.set(files.target.inode, await watchedSettings(files));
      } catch (error) {
        // A namespace gone between the sample and this read is no failure: it is not there to watch.
        if (failureReason(error) !== 'absent')
          failure ??= error instanceof Error ? error.message : String(error);
      }
    }
    return { current, failure };
  }

  /** Events since the daemon started, by namespace and setting (a namespace gone is forgotten). */
  eventTotals(): ReadonlyMap<number, ReadonlyMap<string, number>> {
    return this.totals;
  }

  /**
   * This reading's share of other namespaces: first those never read (a new namespace gets its
   * baseline soon, so a change after it appears is seen), then the next in inode order after the
   * last one read.
   */
  private nextOthers(others: readonly NetnsFiles[]): NetnsFiles[] {
    if (others.length === 0) return [];
    const unseen = others.filter((files) => !this.readings.has(files.target.inode));
    const picked = unseen.slice(0, MAX_OTHER_READS_PER_TIMEOUT_READING);
    const seen = others
      .filter((files) => this.readings.has(files.target.inode))
      .sort((a, b) => a.target.inode - b.target.inode);
    const start = Math.max(
      0,
      seen.findIndex((files) => files.target.inode > this.lastInode),
    );
    for (let i = 0; picked.length < MAX_OTHER_READS_PER_TIMEOUT_READING && i < seen.length; i++)
      picked.push(seen[(start + i) % seen.length]!);
    const last = picked.at(-1);
    if (last && seen.includes(last)) this.lastInode = last.target.inode;
    return picked;
  }

  private async compare(current: Map<number, Record<string, number>>, nowMs: number): Promise<DriftEvent[]> {
    const found: { netns: number; sinceMs: number; change: ReturnType<typeof changedSettings>[number] }[] =
      [];
    for (const [netns, values] of current) {
      const before = this.readings.get(netns);
      if (before) {
        for (const change of changedSettings(before.values, values))
          found.push({ netns, sinceMs: before.readAtMs[change.setting] ?? nowMs, change });
      }
      const readNow = Object.fromEntries(Object.keys(values).map((setting) => [setting, nowMs]));
      this.readings.set(netns, {
        values: { ...before?.values, ...values },
        readAtMs: { ...before?.readAtMs, ...readNow },
      });
    }
    if (found.length === 0) return [];
    // Read only when something changed: the journal and /proc/*/stat cost a scan each.
    const [journal, processes] = await Promise.all([
      this.evidence.journal().catch(() => []),
      this.evidence.processes().catch(() => []),
    ]);
    return found.map(({ netns, sinceMs, change }) => {
      const evidence = { journal, processes, sinceMs, nowMs };
      return {
        atMs: nowMs,
        netns,
        ...change,
        who: whoChanged(change, evidence),
        byCtdoctor: journaledChange(change, evidence)?.command,
      };
    });
  }
}

/** The one log line of an event. */
export function driftLogLine(event: DriftEvent, netnsName: string | undefined): string {
  const where = `netns ${event.netns}${netnsName ? ` (${netnsName})` : ''}`;
  return `drift: ${event.setting} of ${where} changed ${event.from} → ${event.to}, by ${event.who ?? 'an unknown writer'}`;
}
