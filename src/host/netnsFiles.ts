import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { CtdoctorError } from '../core/errors.js';
import { type RunResult, runTool, toolError } from './childProcess.js';
import { readOptionalText } from './fileRead.js';
import type { NetnsTarget } from './netns.js';
import { readProcInThread } from './procReader.js';
import { type HostRoots, procPath } from './roots.js';

/**
 * Per-namespace kernel files. /proc/sys/net/* shows the namespace of the process that opens it and
 * /proc/net is /proc/self/net, so another namespace is read by a short-lived child entered into it
 * (nsenter --net), which leaves this process where it is.
 */
export interface NetnsFiles {
  readonly target: NetnsTarget;
  /** Text of a file below /proc (e.g. "sys/net/netfilter/nf_conntrack_max"); undefined if absent. */
  readProcText(relative: string): Promise<string | undefined>;
  /** name → trimmed value for every readable file in a /proc/sys directory. */
  readSysctlDir(relative: string): Promise<Record<string, string>>;
  /** A byte stream of a /proc file (for the table dump); errors surface as stream errors. */
  streamProc(relative: string): AsyncIterable<Buffer>;
  /** Runs a tool in the namespace (conntrack, nft, ...). */
  run(command: string, args: readonly string[], input?: string): Promise<RunResult>;
  /** The argv prefix that runs a command inside the namespace ([] for our own). */
  readonly enterPrefix: readonly string[];
}

export function netnsFiles(target: NetnsTarget, roots: HostRoots): NetnsFiles {
  return target.isSelf ? localFiles(target, roots) : enteredFiles(target);
}

function localFiles(target: NetnsTarget, roots: HostRoots): NetnsFiles {
  return {
    target,
    enterPrefix: [],
    readProcText: (relative) => readOptionalText(procPath(roots, relative)),
    async readSysctlDir(relative) {
      const dir = procPath(roots, relative);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return {};
      }
      const values: Record<string, string> = {};
      await Promise.all(
        names.map(async (name) => {
          try {
            const text = await readOptionalText(`${dir}/${name}`);
            if (text !== undefined) values[name] = text.trim();
          } catch {
            // write-only or unreadable keys are simply not reported
          }
        }),
      );
      return values;
    },
    streamProc: (relative) => readProcInThread(procPath(roots, relative)),
    run: (command, args, input) => runTool(command, args, { input }),
  };
}

const HOLDER_START_TIMEOUT_MS = 5000;

async function* readFromNamespace(target: NetnsTarget, relative: string): AsyncGenerator<Buffer> {
  if (
    target.pid !== undefined &&
    (await stat(`/proc/${target.pid}/${relative}`).then(
      () => true,
      () => false,
    ))
  ) {
    yield* readProcInThread(`/proc/${target.pid}/${relative}`);
    return;
  }
  yield* readThroughHolder(target, relative);
}

/** Starts `sleep` inside the namespace and reads the file through its /proc/PID entry. */
async function* readThroughHolder(target: NetnsTarget, relative: string): AsyncGenerator<Buffer> {
  const holder = spawn('nsenter', [`--net=${target.path}`, '--', 'sleep', '3600'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) =>
    holder.once('error', (error) => reject(toolError('nsenter', error))),
  );
  failed.catch(() => {});
  try {
    const deadline = Date.now() + HOLDER_START_TIMEOUT_MS;
    // nsenter switches namespace, then execs sleep under the same pid: wait for the switch.
    while ((await inodeOfPidNetns(holder.pid)) !== target.inode) {
      if (holder.exitCode !== null || Date.now() > deadline) {
        await Promise.race([failed, Promise.resolve()]);
        throw new CtdoctorError('permission', `cannot enter network namespace ${target.path}: run as root`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    yield* readProcInThread(`/proc/${holder.pid}/${relative}`);
  } finally {
    holder.kill('SIGKILL');
  }
}

async function inodeOfPidNetns(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    return (await stat(`/proc/${pid}/ns/net`)).ino;
  } catch {
    return undefined;
  }
}

function enteredFiles(target: NetnsTarget): NetnsFiles {
  const prefix = ['nsenter', `--net=${target.path}`, '--'];
  const runIn = (command: string, args: readonly string[], input?: string) =>
    runTool(prefix[0]!, [...prefix.slice(1), command, ...args], { input });
  return {
    target,
    enterPrefix: prefix,
    async readProcText(relative) {
      // A process's /proc/PID/net/* is its namespace's: no child process needed for those.
      if (target.pid !== undefined && relative.startsWith('net/')) {
        const direct = await readOptionalText(`/proc/${target.pid}/${relative}`);
        if (direct !== undefined) return direct; // else the process may have exited: enter by path
      }
      const result = await runIn('cat', [`/proc/${relative}`]);
      if (result.exitCode === 0) return result.stdout;
      if (/No such file|not a directory/i.test(result.stderr)) return undefined;
      if (/Operation not permitted|Permission denied/i.test(result.stderr)) {
        throw new CtdoctorError('permission', `cannot enter network namespace ${target.path}: run as root`);
      }
      throw new CtdoctorError(
        'kernel',
        `reading /proc/${relative} in ${target.path}: ${result.stderr.trim()}`,
      );
    },
    async readSysctlDir(relative) {
      const result = await runIn('grep', ['-r', '-H', '', `/proc/${relative}`]);
      const values: Record<string, string> = {};
      for (const line of result.stdout.split('\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        values[line.slice(0, colon).split('/').pop()!] = line.slice(colon + 1).trim();
      }
      return values;
    },
    streamProc(relative) {
      // /proc/PID/net/* of a process inside the namespace is that namespace's file, read here at
      // full speed with no pipe; without a live process, a short-lived holder process is entered.
      return readFromNamespace(target, relative);
    },
    run: runIn,
  };
}
