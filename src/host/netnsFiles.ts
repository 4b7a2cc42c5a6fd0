import { readdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { CtdoctorError } from '../core/errors.js';
import { type RunResult, runTool, toolError } from './childProcess.js';
import { readOptionalText } from './fileRead.js';
import type { NetnsTarget } from './netns.js';
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
  streamProc(relative: string): Readable;
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
    streamProc: (relative) => createReadStream(procPath(roots, relative), { highWaterMark: 1 << 20 }),
    run: (command, args, input) => runTool(command, args, { input }),
  };
}

function enteredFiles(target: NetnsTarget): NetnsFiles {
  const prefix = ['nsenter', `--net=${target.path}`, '--'];
  const runIn = (command: string, args: readonly string[], input?: string) =>
    runTool(prefix[0]!, [...prefix.slice(1), command, ...args], { input });
  return {
    target,
    enterPrefix: prefix,
    async readProcText(relative) {
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
      const child = spawn(prefix[0]!, [...prefix.slice(1), 'cat', `/proc/${relative}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', (error) => child.stdout.destroy(toolError('nsenter', error)));
      child.on('close', (code) => {
        if (code !== 0)
          child.stdout.destroy(new CtdoctorError('kernel', `cat /proc/${relative}: ${stderr.trim()}`));
      });
      return child.stdout;
    },
    run: runIn,
  };
}
