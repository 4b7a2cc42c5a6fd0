import { closeSync, openSync, readSync } from 'node:fs';
import { CtdoctorError } from '../core/errors.js';

/*
 * Blocking reads of a saved dump, apart from tableSource.ts: the parse thread reads its chunks with
 * readFileAt, and its bundle takes in this file and nothing else of the host layer.
 */

/** "cannot read dump PATH: ENOENT", keeping the cause for --debug. */
export function cannotReadDump(path: string, error: unknown): CtdoctorError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new CtdoctorError('not-found', `cannot read dump ${path}: ${code}`, { cause: error });
}

/** Blocking reads of a plain file, straight into the caller's memory (the pipelined analysis). */
export interface FileReader {
  /** The open descriptor: another thread of this process may read it too (readFileAt). */
  readonly descriptor: number;
  /** Fills `into` from the current position as far as it can; 0 at the end of the file. */
  read(into: Uint8Array): number;
  close(): void;
}

export function openFileReader(path: string): FileReader {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    throw cannotReadDump(path, error);
  }
  let position = 0;
  return {
    descriptor,
    read(into) {
      const filled = readFileAt(descriptor, into, position);
      position += filled;
      return filled;
    },
    close: () => closeSync(descriptor),
  };
}

/** Fills `into` from `position` of an open file as far as it can (positional: no shared offset). */
export function readFileAt(descriptor: number, into: Uint8Array, position: number): number {
  let filled = 0;
  try {
    while (filled < into.length) {
      const got = readSync(descriptor, into, filled, into.length - filled, position + filled);
      if (got === 0) break;
      filled += got;
    }
  } catch (error) {
    throw new CtdoctorError(
      'kernel',
      `reading the dump failed: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: error },
    );
  }
  return filled;
}
