import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { type RunResult, runTool } from './childProcess.js';
import { optionalReadFailure } from './errnoReason.js';
import { readOptionalProcTextNow, readOptionalText } from './fileRead.js';
import type { NetnsTarget } from './netns.js';
import { nsenterFailure, startNamespaceHolder } from './nsenter.js';
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

/** Starts a holder inside the namespace and reads the file through its /proc/PID entry. */
async function* readThroughHolder(target: NetnsTarget, relative: string): AsyncGenerator<Buffer> {
  const holder = await startNamespaceHolder(target);
  try {
    yield* readProcInThread(`/proc/${holder.pid}/${relative}`);
  } finally {
    holder.kill();
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
      // A process's /proc/PID/net/* is its namespace's: no child process needed for those (and it
      // is the running kernel's procfs, read at once: serve reads one per namespace each sample).
      if (target.pid !== undefined && relative.startsWith('net/')) {
        const direct = readOptionalProcTextNow(`/proc/${target.pid}/${relative}`);
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
