import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUILD_MARK } from '../../src/host/codeCache.js';
import { REPO_ROOT } from '../support/paths.js';

const BUNDLE = join(REPO_ROOT, 'dist', 'src', 'cli', 'analyze.bundle.cjs');
const LOADER = join(REPO_ROOT, 'dist', 'src', 'host', 'codeCache.js');

/** What a fresh node (the flags an operator's has) makes of a bundle: its cache's fate and its main. */
function load(bundle: string): { cache: string; main: string } {
  const script = `const { loadCachedBundle } = await import(${JSON.stringify(LOADER)});
const { cache, exports } = loadCachedBundle(${JSON.stringify(bundle)});
process.stdout.write(JSON.stringify({ cache, main: typeof exports.main }));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
}

/** A copy of the built bundle and its cache, `edit`ed, in a directory of its own. */
function withCopy(edit: (source: string) => string, check: (bundle: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-code-cache-'));
  try {
    const bundle = join(dir, 'analyze.bundle.cjs');
    writeFileSync(bundle, edit(readFileSync(BUNDLE, 'utf8')));
    copyFileSync(`${BUNDLE}.v8cache`, `${bundle}.v8cache`);
    check(bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('analyze runs from the code cache the build wrote', () => {
  it('the built bundle is compiled from its cache, and has no import(), which a cached script cannot run', () => {
    assert.deepEqual(load(BUNDLE), { cache: 'used', main: 'function' });
    assert.doesNotMatch(readFileSync(BUNDLE, 'utf8'), /\bimport\(/);
  });

  it("a cache from another build is not offered: a bundle of the same length, another build's mark", () => {
    withCopy(
      (source) => {
        const at = source.lastIndexOf(BUILD_MARK) + BUILD_MARK.length;
        const digit = source[at] === '0' ? '1' : '0';
        return `${source.slice(0, at)}${digit}${source.slice(at + 1)}`;
      },
      (bundle) => assert.deepEqual(load(bundle), { cache: 'none', main: 'function' }),
    );
  });

  it('a cache that V8 refuses (the source changed length) leaves the bundle to compile as usual', () => {
    withCopy(
      (source) => source.replace(BUILD_MARK, `// another line\n${BUILD_MARK}`),
      (bundle) => assert.deepEqual(load(bundle), { cache: 'refused', main: 'function' }),
    );
  });
});
