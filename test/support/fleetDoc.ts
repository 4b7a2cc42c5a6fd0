import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** The bodies of docs/fleet.md's fenced blocks in `language`, in order. */
export function fleetDocBlocks(language: string): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'fleet.md'), 'utf8');
  return [...doc.matchAll(/^( *)```(\w+)\n([\s\S]*?)^\1```$/gm)]
    .filter((m) => m[2] === language)
    .map((m) => m[3]!.replace(new RegExp(`^${m[1]}`, 'gm'), ''));
}

/** Each PromQL expression of the guide: one starts at a line in column 0 that is no comment nor a `)`. */
export function fleetDocQueries(): string[] {
  return fleetDocBlocks('promql').flatMap((block) =>
    block
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
      .reduce<string[]>((expressions, line) => {
        if (/^[^\s)]/.test(line)) expressions.push(line);
        else expressions[expressions.length - 1] += `\n${line}`;
        return expressions;
      }, []),
  );
}
