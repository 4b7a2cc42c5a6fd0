import { spawn } from 'node:child_process';
import { CLI } from './paths.js';

/**
 * The first `count` lines a command that runs until stopped prints (status --watch), then it is
 * stopped. Rejects if it ends before printing them.
 */
export function firstLines(args: string[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.split('\n').slice(0, -1);
      if (lines.length >= count) {
        child.kill();
        resolve(lines.slice(0, count));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      reject(new Error(`ctdoctor ${args.join(' ')} ended (exit ${code}) before ${count} lines: ${stderr}`)),
    );
  });
}
