import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/*
 * A CommonJS bundle run with V8's code cache: its functions are deserialized from BUNDLE.v8cache,
 * written by the build (scripts/bundle-cli.mjs) after a warm-up run, instead of parsed and compiled
 * at every start (~15 ms of `analyze`'s, on the 2-vCPU bench machine). Node 20 has no compile cache
 * for ES modules, hence CommonJS.
 *
 * V8 accepts a cache for a source of the same length, whatever its text: the build appends the
 * bundle's content hash as its last line (BUILD_MARK) and writes it at the head of the cache, and
 * a cache for another build is not offered. One that V8 refuses (another Node, other V8 flags) is
 * ignored by V8 itself: the bundle then compiles as usual.
 */
export const BUILD_MARK = '//# ctdoctor-build=';

/** The wrapper a CommonJS module runs in: the same text at build and at run, or the cache misses. */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

type Exports = Record<string, unknown>;

function compiled(path: string, source: string, cachedData?: Buffer) {
  // No import() in such a script: Node 20 loses its loader with the cache (the bundle requires).
  const script = new Script(wrap(source), { filename: path, cachedData });
  const module = { exports: {} as Exports };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(path), module, path, dirname(path));
  return { script, exports: module.exports };
}

function buildOf(source: string): string | undefined {
  const at = source.lastIndexOf(BUILD_MARK);
  return at < 0 ? undefined : source.slice(at + BUILD_MARK.length).trim();
}

/** The cache written for this build of the bundle, or undefined. */
function cacheFor(path: string, build: string | undefined): Buffer | undefined {
  if (!build) return undefined;
  let file: Buffer;
  try {
    file = readFileSync(`${path}.v8cache`);
  } catch {
    return undefined;
  }
  const header = file.indexOf(10);
  if (header < 0 || file.subarray(0, header).toString('latin1') !== build) return undefined;
  return file.subarray(header + 1);
}

/**
 * Runs the bundle at `path` (a file path): its exports, and whether its cache was used, refused by
 * V8, or not there for this build.
 */
export function loadCachedBundle(path: string): { exports: Exports; cache: 'used' | 'refused' | 'none' } {
  const source = readFileSync(path, 'utf8');
  const cachedData = cacheFor(path, buildOf(source));
  const { script, exports } = compiled(path, source, cachedData);
  return { exports, cache: !cachedData ? 'none' : script.cachedDataRejected ? 'refused' : 'used' };
}

/**
 * Build time: runs the bundle, then `warmUp` with its exports (what runs there is compiled too and
 * goes into the cache), and writes the cache for this build beside it.
 */
export async function writeCodeCache(
  path: string,
  warmUp: (exports: Exports) => Promise<void>,
): Promise<void> {
  const source = readFileSync(path, 'utf8');
  const build = buildOf(source);
  if (!build) throw new Error(`${path} has no ${BUILD_MARK} line`);
  const { script, exports } = compiled(path, source);
  await warmUp(exports);
  writeFileSync(
    `${path}.v8cache`,
    Buffer.concat([Buffer.from(`${build}\n`, 'latin1'), script.createCachedData()]),
  );
}
