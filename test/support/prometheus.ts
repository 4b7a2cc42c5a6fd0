import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from './serve.js';

/** A real Prometheus (Debian's), on loopback, with `config` (prometheus.yml text) and a throwaway TSDB in `dir`. */
export async function startPrometheus(
  dir: string,
  config: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freeLoopbackPort();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  child.once('error', () => {});
  if (child.pid === undefined)
    throw new Error('prometheus is missing: apt-get install prometheus (scripts/test.sh does)');
  return { url: `http://127.0.0.1:${port}`, child };
}

export async function stopPrometheus(prometheus: { child: ChildProcess }): Promise<void> {
  prometheus.child.kill('SIGTERM');
  await new Promise((resolve) => prometheus.child.once('close', resolve));
}
