import { applyTableSize, tableSizeAccess } from '../actions/mitigate.js';
import type { Journal } from '../actions/journal.js';
import { hostFacts } from '../collectors/hostFacts.js';
import { CtdoctorError, isCtdoctorError } from '../core/errors.js';
import type { SettingChange } from '../core/plan/mitigationPlan.js';
import {
  RELIEF_COMMAND,
  type ReliefBounds,
  decideRelief,
  findTableFullLoss,
} from '../core/plan/reliefDecision.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import type { HostRoots } from '../host/roots.js';
import type { ServeSample } from './serveSample.js';

export type ReliefResult = 'applied' | 'refused' | 'skipped';

/** One relief decision worth telling: every applied one, and a refusal or skip when its reason is new. */
export interface ReliefEvent {
  atMs: number;
  result: ReliefResult;
  /** The namespace losing packets to a full table (the limit it raises is the host's). */
  netns: number;
  entries: number;
  max: number;
  /** Applied: the changes made, as journaled. Refused: the changes wanted. Skipped: none. */
  changes: SettingChange[];
  journalId: string | null;
  /** The line the daemon logged. */
  message: string;
}

/** Decisions so far, for /metrics. */
export interface ReliefTally {
  applied: number;
  refused: number;
  skipped: number;
  lastAppliedAtMs: number | undefined;
}

/** Where a relief reads its bounds and writes its change. */
export interface ReliefHost {
  journal: Journal;
  /** The sysctls to write; rejects when this process may not (not root, not the initial namespace). */
  access(): Promise<SysctlAccess>;
  /** The running kernel's sizing facts. */
  bounds(): Promise<Omit<ReliefBounds, 'memoryBudgetBytes'>>;
}

export interface AutoReliefOptions {
  host: ReliefHost;
  cooldownSeconds: number;
  memoryBudgetBytes: number;
  /** The command that undoes a relief, for the log line (the CLI knows the state dir's spelling). */
  undoCommand: string;
  log: (line: string) => void;
}

/** The relief's host on the running system: the same access and facts `mitigate --apply` uses. */
export function liveReliefHost(roots: HostRoots, journal: Journal): ReliefHost {
  return {
    journal,
    access: () => tableSizeAccess(roots),
    async bounds() {
      const facts = await hostFacts(roots);
      if (!facts.ok) throw new CtdoctorError('not-found', `cannot size the table: ${facts.message}`);
      const { kernelVersion, memTotalBytes, entrySize, hashsizeParam } = facts.data;
      if (memTotalBytes === undefined)
        throw new CtdoctorError('not-found', '/proc/meminfo is unreadable: cannot size the table safely');
      return {
        kernel: kernelVersion,
        memTotalBytes,
        entryBytes: entrySize.bytes,
        ...(hashsizeParam !== undefined ? { hashsizeOption: hashsizeParam } : {}),
      };
    },
  };
}

/** What kind of refusal an error is (another ctdoctor holds the lock, no root, …), for logging each once. */
function errorKind(error: unknown): string {
  return isCtdoctorError(error) ? error.kind : 'error';
}

function describeChanges(changes: readonly SettingChange[]): string {
  return changes.map((change) => `${change.key.split('.').pop()} ${change.from} → ${change.to}`).join(', ');
}

/**
 * serve's guarded auto-relief: after each sample, when a namespace lost packets to a full table
 * since the one before, one step of mitigate's plan, made as `mitigate --apply` makes it (the change
 * lock, the write-ahead journal, all or nothing). A decision not to act is counted; it is logged
 * (and told to listeners) only when its reason differs from the last one logged, so a table that
 * stays full through a cool-down, or a daemon without root, says so once.
 */
export class AutoRelief {
  readonly tally: ReliefTally = { applied: 0, refused: 0, skipped: 0, lastAppliedAtMs: undefined };
  private lastLogged: string | undefined;

  constructor(private readonly options: AutoReliefOptions) {}

  /** Checks the daemon can write the limit at all, so an operator learns at start, not at the incident. */
  async checkAccess(): Promise<void> {
    await this.options.host.access().catch((error: unknown) => {
      this.lastLogged = `refused ${errorKind(error)}`;
      this.options.log(`auto-relief will be refused: ${(error as Error).message}`);
    });
  }

  /** Decides (and makes) the relief the latest sample calls for; an event when there is one to tell. */
  async afterSample(previous: ServeSample, latest: ServeSample): Promise<ReliefEvent | undefined> {
    const seconds = (latest.takenAtMs - previous.takenAtMs) / 1000;
    const loss = findTableFullLoss(previous.namespaces, latest.namespaces, seconds);
    if (!loss) return undefined;
    const at = { atMs: latest.takenAtMs, netns: loss.inode, entries: loss.entries, max: loss.max };
    const seen = `namespace ${loss.inode} lost ${loss.lost} packets in ${seconds.toFixed(1)} s at a full table (${loss.entries} of ${loss.max} entries)`;
    let changes: SettingChange[] = [];
    try {
      const decision = decideRelief({
        loss,
        nowMs: latest.takenAtMs,
        lastAppliedAtMs: this.tally.lastAppliedAtMs,
        cooldownSeconds: this.options.cooldownSeconds,
        bounds: { ...(await this.options.host.bounds()), memoryBudgetBytes: this.options.memoryBudgetBytes },
      });
      if (decision.kind === 'skip')
        return this.tell(
          'skipped',
          decision.reason,
          { ...at, changes, journalId: null },
          `${seen}: ${decision.message}`,
        );
      changes = decision.plan.changes;
      const access = await this.options.host.access();
      const journalId = await applyTableSize(
        decision.plan,
        access,
        this.options.host.journal,
        RELIEF_COMMAND,
      );
      if (journalId === null)
        return this.tell(
          'skipped',
          'unchanged',
          { ...at, changes: [], journalId },
          `${seen}: the limits already were as planned`,
        );
      const capped = decision.cappedByBudget ? ' (capped at the memory budget)' : '';
      this.tally.lastAppliedAtMs = latest.takenAtMs;
      return this.tell(
        'applied',
        journalId,
        { ...at, changes, journalId },
        `${seen}: ${describeChanges(changes)}${capped}, journal ${journalId}; undo: ${this.options.undoCommand}`,
      );
    } catch (error) {
      const message = `${seen}: ${(error as Error).message}`;
      return this.tell('refused', errorKind(error), { ...at, changes, journalId: null }, message);
    }
  }

  private tell(
    result: ReliefResult,
    reason: string,
    event: Omit<ReliefEvent, 'result' | 'message'>,
    line: string,
  ): ReliefEvent | undefined {
    this.tally[result]++;
    const key = `${result} ${reason}`;
    if (result !== 'applied' && key === this.lastLogged) return undefined;
    this.lastLogged = result === 'applied' ? undefined : key;
    const message = `auto-relief ${result}: ${line}`;
    this.options.log(message);
    return { ...event, result, message };
  }
}
