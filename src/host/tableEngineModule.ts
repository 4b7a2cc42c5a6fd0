import { readFileSync } from 'node:fs';

const ENGINE_FILE = new URL('../../../native/table-engine.wasm', import.meta.url);

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled table engine, or null when it cannot be used: the file is missing from a broken
 * install, or CTDOCTOR_ENGINE=typescript asks for the reference parser (to compare the two).
 */
export function tableEngineModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  if (process.env.CTDOCTOR_ENGINE === 'typescript') {
    compiled = null;
    return compiled;
  }
  try {
    compiled = new WebAssembly.Module(readFileSync(ENGINE_FILE));
  } catch {
    compiled = null;
  }
  return compiled;
}
