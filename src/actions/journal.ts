import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { appendPrivateLine, ensurePrivateDir, readBytesOrNull } from '../host/stateFiles.js';

/** One undoable change. Values are kept as the kernel printed them. */
export type JournalChange =
  | { kind: 'sysctl'; key: string; before: string; after: string; netns?: string }
  | { kind: 'file'; path: string; backup: string | null; afterSha256: string | null }
  | { kind: 'command'; description: string; undo: string[]; input?: string };

export interface JournalEntry {
  id: string;
  time: string;
  command: string;
  changes: JournalChange[];
}

type JournalRecord =
  | ({ type: 'change' } & JournalEntry)
  | { type: 'rollback'; of: string; time: string }
  // Written after a torn line was found at the end when appending: that line is a crash's fragment.
  | { type: 'torn'; time: string };

export const DEFAULT_STATE_DIR = '/var/lib/ctdoctor';

/** An append-only JSON-lines journal of every applied change, for `ctdoctor rollback`. */
export class Journal {
  readonly path: string;

  constructor(readonly stateDir: string) {
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

  async record(entry: JournalEntry): Promise<void> {
    await this.append({ type: 'change', ...entry });
  }

  async recordRollback(id: string): Promise<void> {
    await this.append({ type: 'rollback', of: id, time: new Date().toISOString() });
  }

  /**
   * Applied changes that have not been rolled back, oldest first, and what was skipped. Refuses a
   * journal with a damaged line anywhere but at its end: undoing from it would be a guess.
   */
  async active(): Promise<{ entries: JournalEntry[]; warnings: string[] }> {
    const { records, warnings } = await this.records('refuse');
    const undone = new Set(records.flatMap((record) => (record.type === 'rollback' ? [record.of] : [])));
    const entries = records.flatMap((record) =>
      record.type === 'change' && !undone.has(record.id) ? [stripType(record)] : [],
    );
    return { entries, warnings };
  }

  /** Every journaled change, for `rollback --list`: damaged lines are shown as warnings, not refused. */
  async all(): Promise<{ entries: Array<JournalEntry & { rolledBack: boolean }>; warnings: string[] }> {
    const { records, warnings } = await this.records('warn');
    const undone = new Set(records.flatMap((record) => (record.type === 'rollback' ? [record.of] : [])));
    const entries = records.flatMap((record) =>
      record.type === 'change' ? [{ ...stripType(record), rolledBack: undone.has(record.id) }] : [],
    );
    return { entries, warnings };
  }

  /**
   * A torn last line (a crash in the middle of an append: it has no newline), or one a later append
   * marked as torn, never completed, so it is skipped, and said. Any other line that is not a record means the journal was damaged or
   * edited: with 'refuse' that is an error naming the line.
   */
  private async records(
    damaged: 'refuse' | 'warn',
  ): Promise<{ records: JournalRecord[]; warnings: string[] }> {
    const text = (await readBytesOrNull(this.path))?.toString('utf8') ?? '';
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
    await ensurePrivateDir(this.stateDir);
    const tornMark: JournalRecord = { type: 'torn', time: new Date().toISOString() };
    await appendPrivateLine(this.path, JSON.stringify(record), JSON.stringify(tornMark));
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

function stripType(record: { type: 'change' } & JournalEntry): JournalEntry {
  const { type: _type, ...entry } = record;
  return entry;
}
