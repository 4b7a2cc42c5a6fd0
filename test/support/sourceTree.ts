import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** Every `.ts` file under `folder` (a repository path such as `src`), by repository path, sorted. */
export function readSourceTree(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const paths = readdirSync(join(REPO_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) =>
      relative(REPO_ROOT, join(REPO_ROOT, folder, name))
        .split(sep)
        .join('/'),
    )
    .sort();
  for (const path of paths) files.set(path, readFileSync(join(REPO_ROOT, path), 'utf8'));
  return files;
}
