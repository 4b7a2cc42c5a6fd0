#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript under dist/, bundled into one module (both built by
// `npm ci` via the prepare script, or `npm run build`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
// `analyze` alone has a bundle of its own: the other commands' code is not compiled for it, and
// what it needs comes from V8's code cache (src/host/codeCache.ts).
const analyze = argv[0] === 'analyze';
const entry = new URL(
  `../dist/src/cli/${analyze ? 'analyze.bundle.cjs' : 'main.bundle.js'}`,
  import.meta.url,
);
if (!existsSync(entry)) {
  process.stderr.write(
    'ctdoctor: not built yet: run "npm ci" (or "npm run build") in the ctdoctor directory\n',
  );
  process.exit(1);
}
// Stacks in src/*.ts lines (the bundles' source maps): only for --debug, which prints them; Node
// reads the maps of modules loaded after this, so before the bundles.
if (argv.includes('--debug')) process.setSourceMapsEnabled(true);
// Before the CLI loads (~20 ms): an analysis of a large dump gets its parse thread started now, one
// of the live table its reader.
const { prestartForArgs } = await import(new URL('../dist/src/cli/prestart.bundle.js', import.meta.url).href);
const prestarted = prestartForArgs(argv);
const { main } = analyze ? await loadAnalyze() : await import(entry.href);
process.exitCode = await main(argv, prestarted);

async function loadAnalyze() {
  // Node maps stacks of the modules its loader loads: --debug takes the bundle that way.
  if (argv.includes('--debug')) return createRequire(import.meta.url)(fileURLToPath(entry));
  const { loadCachedBundle } = await import(new URL('../dist/src/host/codeCache.js', import.meta.url).href);
  return loadCachedBundle(fileURLToPath(entry)).exports;
}
