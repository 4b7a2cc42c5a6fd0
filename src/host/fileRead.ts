import { readFile } from 'node:fs/promises';
import { optionalReadFailure } from './errnoReason.js';

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
