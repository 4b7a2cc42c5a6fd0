import { backupFile, writeFileAtomic } from './atomicFile.js';
import { type RunOptions, type RunResult, runTool } from './childProcess.js';
import { processAlive } from './processAlive.js';
import {
  appendPrivateLine,
  createExclusive,
  ensurePrivateDir,
  readBytesOrNull,
  removeIfPresent,
} from './stateFiles.js';

/**
 * What the actions (plan → apply → journal → rollback, the change lock) ask of the host, and
 * nothing more: the real host below, an in-memory one in the unit tests (test/support/memoryHost.ts).
 * Sysctls have their seam already (SysctlAccess); the firewall runs through NetnsFiles.
 */

/** ctdoctor's state files and the files it manages, by absolute path (--root applied by the caller). */
export interface HostFiles {
  /** The file's bytes, or null when it does not exist (any other failure is an error). */
  read(path: string): Promise<Buffer | null>;
  /** Replaces the file in one rename: a reader or a crash sees the old bytes or the new, never half. */
  writeAtomic(path: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Copies the file into `backupDir`; the backup's path, or null when there was no file. */
  backup(path: string, backupDir: string): Promise<string | null>;
  /** Removes the file; an absent one is not an error. */
  remove(path: string): Promise<void>;
  /** Creates the directory (mode 0700) if absent. */
  ensurePrivateDir(path: string): Promise<void>;
  /**
   * Appends one line and returns once it is durable (fsync): the write-ahead journal's promise.
   * A torn last line (a crash mid-append) is ended first and followed by `tornLineMark`.
   */
  appendLine(path: string, line: string, tornLineMark: string): Promise<void>;
  /** Creates the file with `content` unless it exists (false then); no reader sees it empty. */
  createExclusive(path: string, content: string): Promise<boolean>;
}

/** This process and the others: tools run with argument arrays, pids of lock holders. */
export interface HostProcesses {
  /** Our own pid, as written in the lock. */
  readonly pid: number;
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  isAlive(pid: number): boolean;
}

export interface Host {
  readonly files: HostFiles;
  readonly processes: HostProcesses;
}

/** The machine ctdoctor runs on: O_NONBLOCK opens, fsyncs, link(2) locks, deadlines on every call. */
export const realHost: Host = {
  files: {
    read: readBytesOrNull,
    writeAtomic: writeFileAtomic,
    backup: backupFile,
    remove: removeIfPresent,
    ensurePrivateDir,
    appendLine: appendPrivateLine,
    createExclusive,
  },
  processes: {
    pid: process.pid,
    run: runTool,
    isAlive: processAlive,
  },
};
