import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import type {
  ActiveEntry,
  EntryState,
  JournalChange,
  JournalEntry,
  ListedEntry,
} from '../core/journal/journalEntry.js';
import type { Host } from '../host/hostSeam.js';

/**
 * The journal is write-ahead: `begin` holds every planned change with its before state and is
 * written before the first one is made; `step` after each change is made (with the change as made,
 * when the kernel adjusted it); then `commit`, or after a failure `undoing` and, once undone,
 * `abort` (with the indexes an undo could not restore). An entry with `begin` and neither is a crash. `change` is the older format:
 * one record written after all its changes were made.
 */
export type JournalRecord =
  | ({ type: 'change' } & JournalEntry)
  | ({ type: 'begin' } & JournalEntry)
  | { type: 'step'; of: string; index: number }
  | { type: 'commit'; of: string; time: string }
  | { type: 'undoing'; of: string; time: string }
  | { type: 'abort'; of: string; time: string; error: string; left: number[] }
  | { type: 'rollback'; of: string; time: string }
  // Written after a torn line was found at the end when appending: that line is a crash's fragment.
  | { type: 'torn'; time: string };

export const DEFAULT_STATE_DIR = '/var/lib/ctdoctor';

/** An append-only JSON-lines journal of every applied change, for `ctdoctor rollback`. */
export class Journal {
  readonly path: string;

  /** `host`: where the state dir is, and where the journaled changes are made and undone. */
  constructor(
    readonly stateDir: string,
    readonly host: Host,
  ) {
    this.path = join(stateDir, 'journal.jsonl');
  }

  newId(): string {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${randomBytes(2).toString('hex')}`;
  }

  backupDir(id: string): string {
    return join(this.stateDir, 'backups', id);
  }

  async begin(entry: JournalEntry): Promise<void> {
    await this.append({ type: 'begin', ...entry });
  }

  async step(of: string, index: number): Promise<void> {
    await this.append({ type: 'step', of, index });
  }

  async commit(of: string): Promise<void> {
    await this.append({ type: 'commit', of, time: new Date().toISOString() });
  }

  async undoing(of: string): Promise<void> {
    await this.append({ type: 'undoing', of, time: new Date().toISOString() });
  }

  async abort(of: string, error: string, left: number[]): Promise<void> {
    await this.append({ type: 'abort', of, time: new Date().toISOString(), error, left });
  }

  async recordRollback(id: string): Promise<void> {
    await this.append({ type: 'rollback', of: id, time: new Date().toISOString() });
  }

  /**
   * Entries with changes still in effect (applied, interrupted, partly undone), oldest first, and
   * what was skipped. Refuses a journal with a damaged line anywhere but at its end: undoing from it
   * would be a guess.
   */
  async active(): Promise<{ entries: ActiveEntry[]; warnings: string[] }> {
    const { histories, warnings } = await this.history('refuse');
    const entries = histories.flatMap(({ entry, state, done, inDoubt }) =>
      state === 'rolled back' || state === 'undone on failure'
        ? []
        : [{ ...entry, changes: done, ...(inDoubt ? { inDoubt } : {}) }],
    );
    return { entries, warnings };
  }

  /** Every entry with its state, for `rollback --list`: damaged lines are warnings, not refused. */
  async all(): Promise<{ entries: ListedEntry[]; warnings: string[] }> {
    const { histories, warnings } = await this.history('warn');
    const entries = histories.map(({ entry, state }) => ({
      ...entry,
      state,
      rolledBack: state === 'rolled back',
    }));
    return { entries, warnings };
  }

  /** Every entry with its state, the changes made and the one in doubt, replayed from the records. */
  private async history(
    damaged: 'refuse' | 'warn',
  ): Promise<{ histories: EntryHistory[]; warnings: string[] }> {
    const { records, warnings } = await this.records(damaged);
    const entries = new Map<string, EntryHistory>();
    for (const record of records) {
      if (record.type === 'torn') continue;
      if (record.type === 'change' || record.type === 'begin') {
        const { type, ...entry } = record;
        const legacy = type === 'change';
        entries.set(entry.id, {
          entry,
          state: legacy ? 'applied' : 'interrupted',
          done: legacy ? [...entry.changes] : [],
        });
        continue;
      }
      const history = entries.get(record.of);
      if (history) replay(history, record);
    }
    for (const history of entries.values()) {
      if (history.state === 'interrupted') settleInterrupted(history);
    }
    return { histories: [...entries.values()], warnings };
  }

  /**
   * A torn last line (a crash in the middle of an append: it has no newline), or one a later append
   * marked as torn, never completed, so it is skipped, and said. Any other line that is not a record means the journal was damaged or
   * edited: with 'refuse' that is an error naming the line.
   */
  private async records(
    damaged: 'refuse' | 'warn',
  ): Promise<{ records: JournalRecord[]; warnings: string[] }> {
    const text = (await this.host.files.read(this.path))?.toString('utf8') ?? '';
    const lines = text.split('\n');
    const records: JournalRecord[] = [];
    const warnings: string[] = [];
    lines.forEach((line, index) => {
      if (!line.trim()) return;
      const record = parseRecord(line);
      if (record) {
        records.push(record);
        return;
      }
      const where = `${this.path}:${index + 1}`;
      if (index === lines.length - 1 || parseRecord(lines[index + 1] ?? '')?.type === 'torn') {
        warnings.push(`${where} is a line torn by a crash while it was written: skipped`);
        return;
      }
      const problem = `${where} is not a journal record (damaged or edited)`;
      if (damaged === 'warn') {
        warnings.push(problem);
        return;
      }
      throw new CtdoctorError(
        'bad-input',
        `${problem}: rollback will not guess what it recorded; see ctdoctor rollback --list, then repair or delete that line (keep a copy) and retry`,
      );
    });
    return { records, warnings };
  }

  private async append(record: JournalRecord): Promise<void> {
    await this.host.files.ensurePrivateDir(this.stateDir);
    const tornMark: JournalRecord = { type: 'torn', time: new Date().toISOString() };
    await this.host.files.appendLine(this.path, JSON.stringify(record), JSON.stringify(tornMark));
  }
}

function parseRecord(line: string): JournalRecord | null {
  try {
    const value: unknown = JSON.parse(line);
    const isRecord =
      typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
    return isRecord ? (value as JournalRecord) : null;
  } catch {
    return null;
  }
}

interface EntryHistory {
  entry: JournalEntry;
  state: EntryState;
  done: JournalChange[];
  undoing?: boolean;
  inDoubt?: JournalChange[];
}

/** What a crash left in doubt: the change after the last one journaled, or (mid-undo) all of them. */
function settleInterrupted(history: EntryHistory): void {
  const next = history.entry.changes[history.done.length];
  const tried = next ? [...history.done, next] : history.done;
  if (history.undoing) {
    history.inDoubt = tried;
    history.done = [];
  } else if (next) history.inDoubt = [next];
}

function replay(history: EntryHistory, record: JournalRecord): void {
  if (record.type === 'step') {
    history.done[record.index] = history.entry.changes[record.index]!;
  } else if (record.type === 'undoing') {
    history.undoing = true;
  } else if (record.type === 'commit') {
    history.state = 'applied';
  } else if (record.type === 'abort') {
    history.done = record.left.map((index) => history.done[index] ?? history.entry.changes[index]!);
    history.state = history.done.length > 0 ? 'partly undone' : 'undone on failure';
  } else if (record.type === 'rollback') {
    history.state = 'rolled back';
  }
}
