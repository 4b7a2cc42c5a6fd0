/**
 * Throwaway `ip netns` namespaces for the serve benchmarks: loopback up, no traffic, no process
 * (serve reads them through its holders). Take the kernel-test lock before creating them.
 */
import { execFileSync } from 'node:child_process';

/** Namespaces made and not yet deleted: an interrupted benchmark (Ctrl-C, SIGTERM, timeout) deletes them too. */
const alive = new Set<string>();
let deletesOnSignal = false;

function deleteAliveAndExit(signal: NodeJS.Signals): void {
  deleteNamespaces([...alive]);
  process.kill(process.pid, signal);
}

export function addNamespaces(prefix: string, count: number): string[] {
  const names: string[] = [];
  if (!deletesOnSignal)
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, deleteAliveAndExit);
  deletesOnSignal = true;
  try {
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${process.pid}-${i}`;
      execFileSync('ip', ['netns', 'add', name]);
      names.push(name);
      alive.add(name);
      execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    }
  } catch (error) {
    deleteNamespaces(names);
    throw error;
  }
  return names;
}

export function deleteNamespaces(names: readonly string[]): void {
  for (const name of names) {
    alive.delete(name);
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
