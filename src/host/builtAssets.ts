import { fileURLToPath } from 'node:url';
import { CtdoctorError } from '../core/errors.js';
import { readRequiredFile } from './fileRead.js';

/**
 * Where the build puts the dashboard: tsc compiles dashboard.ts there and scripts/bundle-cli.mjs
 * copies the page, the stylesheet and uPlot beside it. Written from ../daemon/ so that it resolves
 * the same from any layer's folder in dist/src/ and from the CLI bundle in dist/src/cli/.
 */
const DASHBOARD_DIR = new URL('../daemon/dashboard/', import.meta.url);

/**
 * A file the build put in the dashboard's folder (the dashboard's own, uPlot for it and for the lab
 * report). Missing means a tree that was not built, or not fully: the fix is the build.
 */
export async function readBuiltAsset(file: string, what: string): Promise<Buffer> {
  const location = fileURLToPath(new URL(file, DASHBOARD_DIR));
  return readRequiredFile(location, what).catch((error: unknown) => {
    throw new CtdoctorError('not-found', `${what} ${location} is missing: rebuild ctdoctor (npm run build)`, {
      cause: error,
    });
  });
}
