import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** `metric` → `type` of every row of the table between the markers in docs/metrics.md. */
export function documentedMetrics(): Map<string, string> {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- metrics:begin'), doc.indexOf('<!-- metrics:end'));
  return new Map([...table.matchAll(/^\| `(\w+)`\s*\| (\w+)\s*\|/gm)].map((m) => [m[1]!, m[2]!]));
}
