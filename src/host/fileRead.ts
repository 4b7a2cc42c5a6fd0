import { readFileSync } from 'node:fs';
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
 * readOptionalText at once, without the thread pool: for the small procfs files a daemon reads by
 * the hundred (each namespace's stat file, every sample). fs/promises' readFile takes a FileHandle
 * and five thread-pool round trips per file: 200 stat files cost serve ~25 ms of CPU that way, ~5 ms
 * read at once (measured, 2-core VM). Only for procfs, whose files are made in memory and never
 * wait on a disk; the caller yields between reads so that none holds the event loop for long.
 */
export function readOptionalProcTextNow(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
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
