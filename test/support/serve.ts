import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI } from './paths.js';

/** promtool's lint of an exposition: its stdout+stderr, '' when clean. Fails (never skips) without it. */
export function promtoolProblems(exposition: string): string {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error) throw new Error('promtool is missing: apt-get install prometheus (scripts/test.sh does)');
  return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? '' : ` (exit ${run.status})`);
}

/** A running `serve`: its stderr so far, and the address its startup line names. */
export async function startServe(
  args: string[],
): Promise<{ url: string; pid: number; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
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

/** `name{labels} value` lines of an exposition, keyed by name and labels as printed. */
export function samplesOf(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** The samples of one scrape of a running serve's /metrics. */
export async function scrape(url: string): Promise<Map<string, number>> {
  return samplesOf(await (await fetch(`${url}/metrics`)).text());
}

/** Polls `attempt` until it returns true or the deadline passes (the sampler runs every second). */
export async function eventually(
  what: string,
  attempt: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
