import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, statfs, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { hasTool, requireTool, runTool, toolError } from './childProcess.js';
import { netlinkPermissionError } from './netlinkPermission.js';
import { memoryHeadroomBytes } from './memoryHeadroom.js';
import { chunksFromFifo, chunksFromGrowingFile } from './procReader.js';
import { DEFAULT_ROOTS } from './roots.js';

/** The netlink dump, in the same line format as procfs. */
export const NETLINK_DUMP_COMMAND = ['conntrack', '-L', '-o', 'extended'] as const;

/**
 * `conntrack -L -o extended` as a byte stream, written where a reader thread takes it as it comes:
 * - a deleted file in /dev/shm when memory has room for the largest dump the table can give
 *   (nf_conntrack_max lines): conntrack's writes then never wait for us. Through a pipe they do,
 *   whenever its 64 KiB are full: `conntrack -L -o extended | cat` took 1.3× its run time to
 *   /dev/null on a million entries, and our own reading 1.36×; into the file 1.03×.
 * - else a FIFO (bounded memory), with conntrack's output buffered by 1 MiB (`stdbuf`) so that it
 *   writes a few hundred times instead of 43,000: 1.36× → 1.27× on the same table.
 */
export async function* netlinkDumpChunks(enterPrefix: readonly string[]): AsyncGenerator<Buffer> {
  // Before the transport's own tools: a host without conntrack must hear about conntrack, not mkfifo.
  for (const tool of new Set([enterPrefix[0] ?? 'conntrack', 'conntrack'])) await requireTool(tool);
  const buffered = (await hasTool('stdbuf')) ? ['stdbuf', '-o', '1M'] : [];
  const argv = [...enterPrefix, ...buffered, ...NETLINK_DUMP_COMMAND];
  const spoolDir = await spoolDirectory();
  const dir = await mkdtemp(join(spoolDir ?? tmpdir(), 'ctdoctor-netlink-'));
  const output = join(dir, 'conntrack.out');
  const run = new ConntrackRun(argv, enterPrefix[0] === 'nsenter' ? 'nsenter' : 'conntrack');
  let linesRead: () => number;
  try {
    if (spoolDir) {
      let writeEnd: number | null = openSync(output, 'wx', 0o600);
      const spool = chunksFromGrowingFile(output, () => {
        try {
          run.start(writeEnd!, spool.writerDone);
        } finally {
          closeSync(writeEnd!);
          writeEnd = null;
        }
        // Both ends are open: the name can go, so nothing is left behind whatever happens next.
        void unlink(output).catch(() => undefined);
      });
      linesRead = spool.linesRead;
      try {
        yield* spool.chunks;
      } finally {
        if (writeEnd !== null) closeSync(writeEnd);
      }
    } else {
      const made = await runTool('mkfifo', ['-m', '600', output]);
      if (made.exitCode !== 0) throw new CtdoctorError('kernel', `mkfifo ${output}: ${made.stderr.trim()}`);
      const fifo = chunksFromFifo(output, () => {
        // The reader holds the read end open: opening the write end returns at once.
        const writeEnd = openSync(output, 'w');
        try {
          run.start(writeEnd, () => undefined);
        } finally {
          closeSync(writeEnd);
        }
      });
      linesRead = fifo.linesRead;
      yield* fifo.chunks;
    }
    await run.succeeded();
    const shown = run.entriesShown();
    if (shown !== null && shown !== linesRead()) throw cutShort(shown, linesRead(), spoolDir);
  } finally {
    run.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One conntrack child: its stderr kept for the error message, its end reported. */
class ConntrackRun {
  private child: ChildProcess | null = null;
  private stderr = '';
  private spawnError: Error | null = null;
  private exited: Promise<number | null> = Promise.resolve(0);

  constructor(
    private readonly argv: readonly string[],
    private readonly toolName: 'nsenter' | 'conntrack',
  ) {}

  start(stdout: number, onExit: () => void): void {
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['ignore', stdout, 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        this.spawnError = toolError(this.toolName, error);
        onExit();
        resolve(null);
      });
      child.on('close', (code) => {
        onExit();
        resolve(code);
      });
    });
  }

  async succeeded(): Promise<void> {
    const code = await this.exited;
    if (this.spawnError) throw this.spawnError;
    if (code !== 0) throw conntrackFailure(code, this.stderr);
  }

  /** conntrack's own count ("N flow entries have been shown."), null if it printed none. */
  entriesShown(): number | null {
    const shown = /(\d+) flow entries have been shown/.exec(this.stderr);
    return shown ? Number(shown[1]) : null;
  }

  stop(): void {
    this.child?.kill();
  }
}

/**
 * conntrack ignores failed writes and still exits 0: into a tmpfs that filled up meanwhile, the
 * dump ends early and an analysis of it would silently count part of the table.
 */
function cutShort(shown: number, read: number, spoolDir: string | null): CtdoctorError {
  const where = spoolDir
    ? `${spoolDir} filled up during the dump (df ${spoolDir}): free space there and run it again`
    : 'run it again';
  return new CtdoctorError(
    'kernel',
    `the netlink dump was cut short: conntrack showed ${shown} entries, ${read} arrived; ${where}`,
  );
}

function conntrackFailure(code: number | null, stderr: string): CtdoctorError {
  const message =
    stderr
      .trim()
      .split('\n')
      .find((line) => !line.includes('flow entries have been shown')) ?? `exit ${code}`;
  return (
    netlinkPermissionError(message, 'the table') ??
    new CtdoctorError('kernel', `conntrack -L failed: ${message}`)
  );
}

const TMPFS_MAGIC = 0x01021994;
const SPOOL_PARENT = '/dev/shm';
/** Longer than any `-o extended` line (an IPv6 flow with NAT, mark, zone and labels); typical is ~175. */
const LINE_BYTES_BOUND = 400;

/**
 * /dev/shm when it is a tmpfs with room for nf_conntrack_max lines and this process may take twice
 * that (MemAvailable, and its cgroup's limit: serve's unit has MemoryMax=256M), so that a table
 * that fills up during the dump still fits; null otherwise, or when any of it cannot be read.
 */
export async function spoolDirectory(): Promise<string | null> {
  try {
    const [maxText, headroom, space] = await Promise.all([
      readFile('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'),
      memoryHeadroomBytes(DEFAULT_ROOTS),
      statfs(SPOOL_PARENT),
    ]);
    const bound = Number(maxText.trim()) * LINE_BYTES_BOUND;
    const room = space.bavail * space.bsize;
    return space.type === TMPFS_MAGIC && bound > 0 && room >= bound && headroom >= 2 * bound
      ? SPOOL_PARENT
      : null;
  } catch {
    return null;
  }
}
