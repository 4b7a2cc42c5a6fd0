import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI } from './paths.js';

/** promtool's lint of an exposition: its stdout+stderr, '' when clean. Fails (never skips) without it. */
export function promtoolProblems(exposition: string): string {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error) throw new Error('promtool is missing: apt-get install prometheus (scripts/test.sh does)');
  return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? '' : ` (exit ${run.status})`);
}

/**
 * A running `serve`: its stdout and stderr so far, and the address its startup line names.
 * `wrapper` runs it through a command first (e.g. setpriv, to drop privileges): its argv, then node's.
 */
export async function startServe(
  args: string[],
  wrapper: string[] = [],
): Promise<{
  url: string;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<number | null>;
}> {
  const [command, ...argv] = [...wrapper, process.execPath, CLI, 'serve', ...args];
  const child = spawn(command!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  const startupLine = () => /listening on (http:\/\/\S+)\/metrics/.exec(stderr);
  while (!startupLine()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: startupLine()![1]!,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A loopback TCP port free right now, for a server the test starts. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
