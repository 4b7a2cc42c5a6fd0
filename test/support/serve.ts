import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI } from './paths.js';
import { assertMatchesSchema } from './schemas.js';

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
