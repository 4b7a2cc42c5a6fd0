import { spawn } from 'node:child_process';
import { CLI } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs ctdoctor as a user would: a separate process, real exit code, real output. */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
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
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
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
