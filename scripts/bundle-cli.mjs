// Bundles the CLI into one module (dist/src/cli/main.bundle.js): loading ~100 small modules costs
// ~50 ms of every run, a third of an empty `analyze`. It sits beside main.js so that relative
// asset URLs (../../../native/table-engine.wasm, ../host/procReaderThread.js) resolve the same.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/src/cli/main.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'bundle',
  logLevel: 'warning',
  // commander is CommonJS: its require() calls need a real require in an ES module.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
