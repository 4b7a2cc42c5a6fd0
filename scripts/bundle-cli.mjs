// Bundles the CLI into one module (dist/src/cli/main.bundle.js): loading ~100 small modules costs
// ~50 ms of every run, a third of an empty `analyze`. It sits beside main.js so that relative
// asset URLs (../../../native/table-engine.wasm, ../host/procReaderThread.bundle.cjs) resolve the same.
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { BUILD_MARK, writeCodeCache } from '../dist/src/host/codeCache.js';
import { resumeOptimizing } from '../dist/src/cli/optimizerOff.js';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'bundle',
  logLevel: 'warning',
  // Linked maps, chained to tsc's: with --debug (bin/ctdoctor.js) a stack points at src/*.ts lines,
  // not into a 425 KB bundle. Node reads them only when source maps are enabled.
  sourcemap: 'linked',
};

// The parse thread of a pipelined analysis: started while the main thread already works, so every
// millisecond of its start-up is a millisecond of one thread instead of two.
// What the launcher runs before it loads the CLI: it starts that thread for an analysis it sees
// coming (src/cli/prestart.ts).
await build({
  ...common,
  entryPoints: ['dist/src/cli/prestart.js'],
  outfile: 'dist/src/cli/prestart.bundle.js',
});

// Worker threads, as CommonJS: a worker that starts from an ES module first sets up Node's ES
// module loader, ~8 ms more of a start (~35 ms) that a saved dump's analysis waits for.
for (const [entry, outfile] of [
  ['dist/src/analysisRuntime/tableParseWorker.js', 'dist/src/analysisRuntime/tableParseWorker.bundle.cjs'],
  ['dist/src/host/procReaderThread.js', 'dist/src/host/procReaderThread.bundle.cjs'],
])
  await build({ ...common, format: 'cjs', entryPoints: [entry], outfile });

// Split: what only `serve` uses (its daemon, prom-client) is a chunk it imports when it runs, so
// the other commands do not compile and run it at start-up. Chunks sit beside main.bundle.js.
// Chunk names carry a hash of their contents: an earlier build's chunks would stay beside these.
for (const file of readdirSync('dist/src/cli'))
  if (/\.chunk\.js(\.map)?$/.test(file)) rmSync(`dist/src/cli/${file}`);
await build({
  ...common,
  entryPoints: { 'main.bundle': 'dist/src/cli/main.js' },
  outdir: 'dist/src/cli',
  splitting: true,
  chunkNames: '[name]-[hash].chunk',
  // commander is CommonJS: its require() calls need a real require in an ES module.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

// `analyze` has a bundle of its own (analyzeMain.ts), which holds no other command, in CommonJS: the
// launcher runs it from V8's code cache (src/host/codeCache.ts), written here after a warm-up run
// on fixture tables, one of them through the parse thread, so that what they compile is cached
// too. The bundle ends with its content hash, which the cache must carry.
const analyzeBundle = resolve('dist/src/cli/analyze.bundle.cjs');
rmSync(`${analyzeBundle}.v8cache`, { force: true });
await build({
  ...common,
  format: 'cjs',
  entryPoints: ['dist/src/cli/analyzeMain.js'],
  outfile: analyzeBundle,
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
const contentHash = createHash('sha256').update(readFileSync(analyzeBundle)).digest('hex');
appendFileSync(analyzeBundle, `\n${BUILD_MARK}${contentHash}\n`);
const warmUps = [
  ['test/fixtures/tables/busy-client-fresh.procfs.txt', '--threads', '2'],
  ['test/fixtures/tables/scan.conntrack.txt'],
].filter(([table]) => existsSync(table));
// A warm-up that fails costs only its share of the cache: the build goes on, and says so.
await writeCodeCache(analyzeBundle, async ({ main }) => {
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    for (const args of warmUps) {
      const code = await main(['analyze', ...args]).catch((error) => error.message);
      if (code !== 0) console.warn(`code cache: the warm-up analyze ${args.join(' ')} failed (${code})`);
    }
  } finally {
    process.stdout.write = write;
    resumeOptimizing();
  }
});

// serve's dashboard: tsc compiled its script into dist/src/daemon/dashboard/; the page, its
// stylesheet and uPlot (with its licence, MIT asks for it) go beside it, where the daemon reads
// them at start (src/daemon/dashboardAssets.ts). `files` ships dist/src, so the package has them.
const dashboard = 'dist/src/daemon/dashboard';
mkdirSync(dashboard, { recursive: true });
for (const file of ['index.html', 'dashboard.css'])
  copyFileSync(`src/daemon/dashboard/${file}`, `${dashboard}/${file}`);
for (const file of ['uPlot.iife.min.js', 'uPlot.min.css'])
  copyFileSync(`node_modules/uplot/dist/${file}`, `${dashboard}/${file}`);
copyFileSync('node_modules/uplot/LICENSE', `${dashboard}/uPlot.LICENSE`);
