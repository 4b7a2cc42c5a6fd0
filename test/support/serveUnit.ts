import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const SERVE_UNIT = join(REPO_ROOT, 'deploy', 'systemd', 'ctdoctor-serve.service');

/** The unit's AmbientCapabilities=, as the kernel names them (CAP_SYS_PTRACE, …). */
export function serveUnitCapabilities(): string[] {
  const line = /^AmbientCapabilities=(.*)$/m.exec(readFileSync(SERVE_UNIT, 'utf8'))?.[1];
  if (line === undefined) throw new Error(`${SERVE_UNIT} has no AmbientCapabilities= line`);
  return line.trim().split(/\s+/);
}
