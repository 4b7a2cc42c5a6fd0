import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tests run compiled from dist/test/…; fixtures and the launcher stay in the source tree. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const CLI = join(REPO_ROOT, 'bin', 'ctdoctor.js');

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
