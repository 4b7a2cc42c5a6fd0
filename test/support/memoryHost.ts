import { join } from 'node:path';
import { CtdoctorError } from '../../src/core/errors.js';
import type { RunOptions, RunResult } from '../../src/host/childProcess.js';
import { describeFileFailure } from '../../src/host/errnoReason.js';
import type { Host, HostFiles, HostProcesses } from '../../src/host/hostSeam.js';
import type { SysctlPlace } from '../../src/core/journal/sysctlPlace.js';
import type { SysctlAccess } from '../../src/host/sysctlAccess.js';

/** An errno as node:fs raises it, for the host's own error wording. */
function errnoError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, '${path}'`), { code });
}

/** A scripted tool: its result, or undefined to fall through to the default (exit 0, no output). */
export type ToolScript = (argv: string[], input: string | undefined) => RunResult | undefined;

/**
 * A host in memory for the actions' unit tests: files are a Map of path → bytes, sysctls a Map of
 * key → value, tools a script. Every operation that changes something is appended to `operations`
 * in the order it was made (a journal append names its record type), so a test can assert that the
 * journal's `begin` came before the first change. Failures are injected as the real host raises
 * them: `failWrite(n)` (the n-th file write or append fails with EIO), `readOnly(prefix)` (EROFS
 * below a path), `refuseSysctl(key)` (the kernel rejects the value), a lock file naming a live pid.
 */
export class MemoryHost implements Host {
  readonly fileBytes = new Map<string, Buffer>();
  readonly sysctls = new Map<string, string>();
  readonly operations: string[] = [];
  /** Pids that are running besides ours. */
  readonly livePids = new Set<number>();
  readonly files: HostFiles;
  readonly processes: HostProcesses;
  private writes = 0;
  private failingWrite = 0;
  private readOnlyPrefixes: string[] = [];
  private refusedKeys = new Set<string>();
  private tools: ToolScript = () => undefined;

  constructor(readonly pid = 4000) {
    this.files = this.memoryFiles();
    this.processes = {
      pid,
      run: (command, args, options) => this.run(command, args, options),
      isAlive: (other) => other === pid || this.livePids.has(other),
    };
  }

  /** The file's text, or null when absent. */
  text(path: string): string | null {
    return this.fileBytes.get(path)?.toString('utf8') ?? null;
  }

  /** The n-th file write or journal append from now (1: the next one) fails with EIO. */
  failWrite(n: number): void {
    this.failingWrite = this.writes + n;
  }

  /** Writes below `prefix` fail with EROFS, as on a read-only mount. */
  readOnly(prefix: string): void {
    this.readOnlyPrefixes.push(prefix);
  }

  /** A write of this sysctl fails as the kernel's EINVAL does (an out-of-range value). */
  refuseSysctl(key: string): void {
    this.refusedKeys.add(key);
  }

  /** Tools answer by `script`; unscripted calls exit 0 with no output. */
  scriptTools(script: ToolScript): void {
    this.tools = script;
  }

  /** Sysctls of ctdoctor's own namespace, kept in `sysctls`; `place`: where they are (a tree, a namespace). */
  sysctlAccess(place?: SysctlPlace): SysctlAccess {
    return {
      netns: undefined,
      ...(place ? { place } : {}),
      read: async (key) => this.sysctls.get(key),
      write: async (key, value) => {
        if (this.refusedKeys.has(key))
          throw new CtdoctorError(
            'kernel',
            `the kernel rejected the value for ${key} (EINVAL): out of range`,
          );
        this.sysctls.set(key, value);
        this.operations.push(`sysctl ${key}=${value}`);
      },
    };
  }

  /** Journal records of a journal file, by type, in the order they were appended. */
  recordTypes(path: string): string[] {
    return (this.text(path) ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { type: string }).type);
  }

  private async run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    const argv = [command, ...args];
    this.operations.push(`run ${argv.join(' ')}`);
    return this.tools(argv, options?.input) ?? { stdout: '', stderr: '', exitCode: 0 };
  }

  /** Counts a write and fails it if injected: as the real host words it (describeFileFailure). */
  private async mutate(path: string, action: string, operation: string): Promise<void> {
    this.writes += 1;
    const code =
      this.writes === this.failingWrite
        ? 'EIO'
        : this.readOnlyPrefixes.some((prefix) => path.startsWith(prefix))
          ? 'EROFS'
          : undefined;
    if (code) throw await describeFileFailure(errnoError(code, path), path, action);
    this.operations.push(operation);
  }

  private memoryFiles(): HostFiles {
    const bytes = this.fileBytes;
    return {
      read: async (path) => {
        const found = bytes.get(path);
        return found === undefined ? null : Buffer.from(found);
      },
      writeAtomic: async (path, content) => {
        await this.mutate(path, 'write', `write ${path}`);
        bytes.set(path, Buffer.from(content));
      },
      backup: async (path, backupDir) => {
        const found = bytes.get(path);
        if (found === undefined) return null;
        const backup = join(backupDir, path.replace(/\//g, '%'));
        await this.mutate(backup, `copy ${path} to`, `backup ${path}`);
        bytes.set(backup, Buffer.from(found));
        return backup;
      },
      remove: async (path) => {
        if (!bytes.has(path)) return;
        await this.mutate(path, 'remove', `remove ${path}`);
        bytes.delete(path);
      },
      ensurePrivateDir: async () => {},
      appendLine: async (path, line, tornLineMark) => {
        const type = (JSON.parse(line) as { type?: string }).type;
        await this.mutate(path, 'append to', `append ${path} ${type}`);
        const before = bytes.get(path) ?? Buffer.alloc(0);
        const torn = before.length > 0 && before[before.length - 1] !== 0x0a;
        bytes.set(
          path,
          Buffer.concat([before, Buffer.from(torn ? `\n${tornLineMark}\n${line}\n` : `${line}\n`)]),
        );
      },
      createExclusive: async (path, content) => {
        if (bytes.has(path)) return false;
        await this.mutate(path, 'create', `create ${path}`);
        bytes.set(path, Buffer.from(content));
        return true;
      },
    };
  }
}
