import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { eventually } from './eventually.js';
import { CLI } from './paths.js';
import { assertMatchesSchema } from './schemas.js';

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
  startupMs = 15_000,
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
  const deadline = Date.now() + startupMs;
  const startupLine = () => /listening on (https?:\/\/\S+)\/metrics/.exec(stderr);
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

/** node_exporter with only its conntrack collector, on a free loopback port (Debian's package). */
export async function startNodeExporter(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freeLoopbackPort();
  const child = spawn(
    'prometheus-node-exporter',
    ['--collector.disable-defaults', '--collector.conntrack', `--web.listen-address=127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) =>
    child.once('error', () =>
      reject(new Error('prometheus-node-exporter is missing: apt-get install prometheus-node-exporter')),
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    failed,
    eventually('node_exporter to listen', () =>
      fetch(`${url}/metrics`).then(
        () => true,
        () => false,
      ),
    ),
  ]);
  return { url, child };
}

/** serve's four API paths and the schema id each answers with. */
export const SERVE_API_SCHEMAS = {
  '/api/status': 'ctdoctor.serve-status/v1',
  '/api/history': 'ctdoctor.serve-history/v1',
  '/api/findings': 'ctdoctor.serve-findings/v1',
  '/api/drift': 'ctdoctor.serve-drift/v1',
} as const;

/** Every API body of a running serve, each checked against its published schema. */
export async function assertServeApiMatchesSchemas(url: string): Promise<void> {
  for (const [path, id] of Object.entries(SERVE_API_SCHEMAS)) {
    const response = await fetch(`${url}${path}`);
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    assertMatchesSchema(await response.json(), id);
  }
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
