import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tests run compiled from dist/test/…; fixtures and the launcher stay in the source tree. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const CLI = join(REPO_ROOT, 'bin', 'ctdoctor.js');

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** Total of one counter in a captured `conntrack -S` (an independent reading taken with the tree). */
export function capturedNetlinkTotal(tree: string, counter: string): number {
  const text = readFileSync(fixture(tree, 'conntrack-S.txt'), 'utf8');
  return [...text.matchAll(new RegExp(`\\b${counter}=(\\d+)`, 'g'))].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}
