import { readFileSync } from 'node:fs';

const ENGINE_FILE = new URL('../../../native/table-engine.wasm', import.meta.url);

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled table engine, or null when it cannot be used: the file is missing or does not compile
 * (a broken install: the reference parser gives the same answers, only slower, and reports say
 * `engine: typescript`), or CTDOCTOR_ENGINE=typescript asks for the reference (to compare the two).
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
