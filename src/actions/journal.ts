import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
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

type JournalRecord = ({ type: 'change' } & JournalEntry) | { type: 'rollback'; of: string; time: string };

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

  /** Applied changes that have not been rolled back, oldest first. */
  async active(): Promise<JournalEntry[]> {
    const records = await this.records();
    const undone = new Set(records.flatMap((record) => (record.type === 'rollback' ? [record.of] : [])));
    return records.flatMap((record) =>
      record.type === 'change' && !undone.has(record.id) ? [stripType(record)] : [],
    );
  }

  async all(): Promise<Array<JournalEntry & { rolledBack: boolean }>> {
    const records = await this.records();
    const undone = new Set(records.flatMap((record) => (record.type === 'rollback' ? [record.of] : [])));
    return records.flatMap((record) =>
      record.type === 'change' ? [{ ...stripType(record), rolledBack: undone.has(record.id) }] : [],
    );
  }

  private async records(): Promise<JournalRecord[]> {
    const text = (await readBytesOrNull(this.path))?.toString('utf8') ?? '';
    // A torn last line (crash mid-append) is skipped, not fatal.
    return text.split('\n').flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as JournalRecord] : [];
      } catch {
        return [];
      }
    });
  }

  private async append(record: JournalRecord): Promise<void> {
    await ensurePrivateDir(this.stateDir);
    await appendPrivateLine(this.path, JSON.stringify(record));
  }
}

function stripType(record: { type: 'change' } & JournalEntry): JournalEntry {
  const { type: _type, ...entry } = record;
  return entry;
}
