import { readFile } from 'node:fs/promises';
import { CtdoctorError } from '../core/errors.js';

/** Reads a text file; a missing file is `undefined` (no data), not a crash, as node_exporter does. */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CtdoctorError('permission', `cannot read ${path}: permission denied (run as root)`, {
        cause: error,
      });
    }
    throw new CtdoctorError('kernel', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
