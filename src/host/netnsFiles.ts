import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { type RunResult, runTool, toolError } from './childProcess.js';
import { optionalReadFailure } from './errnoReason.js';
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
  /** The file a /proc-relative path names, as messages show it (the tree's path, or /proc in the namespace). */
  pathOf(relative: string): string;
  /** Text of a file below /proc (e.g. "sys/net/netfilter/nf_conntrack_max"); undefined if absent. */
  readProcText(relative: string): Promise<string | undefined>;
  /** name → trimmed value of every file in a /proc/sys directory ({} when it is absent). */
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
    pathOf: (relative) => procPath(roots, relative),
    readProcText: (relative) => readOptionalText(procPath(roots, relative)),
    async readSysctlDir(relative) {
      const dir = procPath(roots, relative);
      const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
        const failure = optionalReadFailure(error, `cannot list ${dir}`);
        if (failure) throw failure;
        return [];
      });
      const values: Record<string, string> = {};
      await Promise.all(
        // Subdirectories (nf_log) hold no sysctl of their own.
        entries
          .filter((entry) => !entry.isDirectory())
          .map(async ({ name }) => {
            const text = await readOptionalText(join(dir, name));
            if (text !== undefined) values[name] = text.trim();
          }),
      );
      return values;
    },
    streamProc: (relative) => readProcInThread(procPath(roots, relative)),
    run: (command, args, input) => runTool(command, args, { input }),
  };
}

/**
 * nsenter's own failures, told apart from the entered command's: it opens the --net file, then
 * setns(2) it, which fails with EINVAL for a file that is not a network namespace and EPERM
 * without CAP_SYS_ADMIN (util-linux: "reassociate to namespace 'ns/net' failed: <strerror>").
 */
function nsenterFailure(target: NetnsTarget, stderr: string): CtdoctorError | undefined {
  const line = /^nsenter: (?:cannot open|reassociate to namespace).*$/m.exec(stderr)?.[0];
  if (line === undefined) return undefined;
  if (/Invalid argument/.test(line))
    return new CtdoctorError(
      'usage',
      `${target.path} is not a network namespace (nsenter: ${line.slice(9)})`,
    );
  if (/Operation not permitted|Permission denied/.test(line))
    return new CtdoctorError('permission', `cannot enter network namespace ${target.path}: run as root`);
  if (/No such file/.test(line))
    return new CtdoctorError('not-found', `network namespace ${target.path} is gone (${line.slice(9)})`);
  return new CtdoctorError('kernel', `cannot enter network namespace ${target.path}: ${line.slice(9)}`);
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
  const holder = spawn('nsenter', [`--net=${target.path}`, '--', 'sleep', '3600'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  holder.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => holder.once('close', () => resolve()));
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
        if (holder.exitCode !== null) await exited; // all of its stderr
        throw (
          nsenterFailure(target, stderr) ??
          new CtdoctorError('permission', `cannot enter network namespace ${target.path}: run as root`)
        );
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
  const runIn = async (command: string, args: readonly string[], input?: string) => {
    const result = await runTool(prefix[0]!, [...prefix.slice(1), command, ...args], { input });
    if (result.exitCode !== 0) {
      const failure = nsenterFailure(target, result.stderr);
      if (failure) throw failure;
    }
    return result;
  };
  const pathOf = (relative: string) => `/proc/${relative} in ${target.path}`;
  return {
    target,
    enterPrefix: prefix,
    pathOf,
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
        throw new CtdoctorError(
          'permission',
          `cannot read ${pathOf(relative)}: permission denied (run as root)`,
        );
      }
      throw new CtdoctorError('kernel', `reading ${pathOf(relative)}: ${result.stderr.trim()}`);
    },
    async readSysctlDir(relative) {
      // grep -r prints path:value per line of every file; exit 1 = no line at all, 2 = an error.
      const result = await runIn('grep', ['-r', '-H', '', `/proc/${relative}`]);
      if (result.exitCode > 1) {
        if (/No such file/i.test(result.stderr) && result.stdout === '') return {};
        throw new CtdoctorError(
          'kernel',
          `reading ${pathOf(relative)}: ${result.stderr.trim().split('\n')[0]}`,
        );
      }
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
