import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  signal?: NodeJS.Signals;
}

/** setpriv (util-linux) drops to this uid/gid for the non-root cases; tests run as root. */
export const NOBODY = 65534;

/** True when the non-root cases can run here: as root, with setpriv on PATH. */
export function canRunAsNobody(): boolean {
  return process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
}

/** The argv prefix that runs a command as uid/gid 65534 with no supplementary groups. */
export const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

/**
 * Runs ctdoctor as a user would: a separate process, real exit code, real output. `asNobody`: as an
 * unprivileged operator would (AS_NOBODY); `as` is any argv that runs it; `signal` is set when the
 * process was killed.
 */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; asNobody?: boolean; as?: string[] } = {},
): Promise<CliResult> {
  // Fail, never skip: CI runs as root with util-linux, so a missing setpriv is a broken machine.
  if (options.asNobody && !canRunAsNobody())
    throw new Error('the non-root cases need root and setpriv (apt-get install util-linux)');
  const prefix = options.asNobody ? AS_NOBODY : (options.as ?? []);
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command!, rest, {
      // Plain text unless a test asks: `node --test` on a terminal sets FORCE_COLOR=1 for its tests.
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? -1, stdout, stderr, ...(signal ? { signal } : {}) }),
    );
    child.stdin.end(options.input ?? '');
  });
}

export async function runCliJson<T = Record<string, unknown>>(
  args: string[],
): Promise<{ result: CliResult; json: T }> {
  const result = await runCli([...args, '--json']);
  try {
    return { result, json: JSON.parse(result.stdout) as T };
  } catch {
    throw new Error(
      `ctdoctor ${args.join(' ')} --json printed no JSON (exit ${result.code}): ${result.stderr || result.stdout}`,
    );
  }
}

/** No user-facing error may carry a stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+:\d+:\d+/.test(text);
}
