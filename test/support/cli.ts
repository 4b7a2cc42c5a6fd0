import { spawn } from 'node:child_process';
import { CLI } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  signal?: NodeJS.Signals;
}

/**
 * Runs ctdoctor as a user would: a separate process, real exit code, real output. `as` is an argv
 * that runs it (e.g. setpriv as another user); `signal` is set when the process was killed.
 */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; as?: string[] } = {},
): Promise<CliResult> {
  const [command, ...prefix] = [...(options.as ?? []), process.execPath];
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...prefix, CLI, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
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
