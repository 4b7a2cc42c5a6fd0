/**
 * Throwaway `ip netns` namespaces for the serve benchmarks: loopback up, no traffic, no process
 * (serve reads them through its holders). Take the kernel-test lock before creating them.
 */
import { execFileSync } from 'node:child_process';

export function addNamespaces(prefix: string, count: number): string[] {
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${process.pid}-${i}`;
      execFileSync('ip', ['netns', 'add', name]);
      names.push(name);
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
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
