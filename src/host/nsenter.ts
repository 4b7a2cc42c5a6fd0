import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { CtdoctorError } from '../core/errors.js';
import { toolError } from './childProcess.js';
import type { NetnsTarget } from './netns.js';

/**
 * nsenter's own failures, told apart from the entered command's: it opens the --net file, then
 * setns(2) it, which fails with EINVAL for a file that is not a network namespace and EPERM
 * without CAP_SYS_ADMIN (util-linux: "reassociate to namespace 'ns/net' failed: <strerror>").
 */
export function nsenterFailure(target: NetnsTarget, stderr: string): CtdoctorError | undefined {
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

/** A process inside a namespace, so that its /proc/PID/net/* files are that namespace's. */
export interface NamespaceHolder {
  pid: number;
  /** SIGKILL; the namespace is freed once nothing else holds it. */
  kill(): void;
  /** Whether it is still running (it exits with ctdoctor: its stdin is our pipe). */
  alive(): boolean;
}

export async function inodeOfPidNetns(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    return (await stat(`/proc/${pid}/ns/net`)).ino;
  } catch {
    return undefined;
  }
}

/**
 * Starts `cat` inside the namespace, reading a pipe from this process that is never written: it
 * costs no CPU, and when ctdoctor dies (even by SIGKILL) the pipe closes and cat exits, so a holder
 * never outlives its daemon and keeps a deleted namespace alive. Resolves once nsenter has switched
 * namespace (it execs cat under the same pid after setns).
 */
export async function startNamespaceHolder(target: NetnsTarget): Promise<NamespaceHolder> {
  const child = spawn('nsenter', [`--net=${target.path}`, '--', 'cat'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(toolError('nsenter', error))),
  );
  failed.catch(() => {});
  const holder: NamespaceHolder = {
    pid: child.pid ?? -1,
    kill: () => child.kill('SIGKILL'),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
  const deadline = Date.now() + HOLDER_START_TIMEOUT_MS;
  while ((await inodeOfPidNetns(child.pid)) !== target.inode) {
    if (!holder.alive() || child.pid === undefined || Date.now() > deadline) {
      holder.kill();
      await Promise.race([failed, Promise.resolve()]);
      if (child.pid !== undefined) await exited; // all of its stderr
      throw (
        nsenterFailure(target, stderr) ??
        new CtdoctorError('permission', `cannot enter network namespace ${target.path}: run as root`)
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return holder;
}
