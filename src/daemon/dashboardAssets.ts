import { readBuiltAsset } from '../host/builtAssets.js';
import type { Route } from './httpServer.js';

/**
 * The whole set the daemon serves besides its API, by exact path: read once at start into memory,
 * so no request names a file (a path that is not a key here is a 404, whatever it contains).
 */
export const DASHBOARD_ASSETS: Readonly<Record<string, { file: string; contentType: string }>> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/assets/dashboard.js': { file: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
  '/assets/uPlot.iife.min.js': { file: 'uPlot.iife.min.js', contentType: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: 'uPlot.min.css', contentType: 'text/css; charset=utf-8' },
};

/** tsc ends its output with a source-map comment; the map is not served, so the browser is not sent to it. */
function withoutSourceMapComment(body: Buffer): Buffer {
  return Buffer.from(body.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
}

/** The dashboard's routes, open (no token: the same bytes for everyone, no data in them). */
export async function dashboardRoutes(): Promise<Map<string, Route>> {
  const routes = new Map<string, Route>();
  for (const [path, { file, contentType }] of Object.entries(DASHBOARD_ASSETS)) {
    const read = await readBuiltAsset(file, 'the dashboard asset');
    const body = file.endsWith('.js') ? withoutSourceMapComment(read) : read;
    routes.set(path, { reply: () => ({ contentType, body }), open: true });
  }
  return routes;
}
