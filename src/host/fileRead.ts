import { readFile } from 'node:fs/promises';
import { optionalReadFailure } from './errnoReason.js';
import { fileOperation } from './fileFailures.js';

/** Reads a text file; a missing file is `undefined` (no data), not a crash, as node_exporter does. */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const failure = optionalReadFailure(error, `cannot read ${path}`);
    if (failure) throw failure;
    return undefined;
  }
}

/**
 * Reads a file that must be there (a token, a certificate, a shipped asset); a failure is one line
 * naming the path and the fix. `what` says whose file it is, e.g. "--token-file".
 */
export function readRequiredFile(path: string, what: string): Promise<Buffer> {
  return fileOperation(path, `read ${what}`, () => readFile(path));
}
