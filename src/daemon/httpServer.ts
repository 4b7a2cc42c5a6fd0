import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/** The exposition as the latest sample left it (a scrape builds nothing: 200 namespaces cost 150 ms). */
export interface MetricsText {
  contentType: string;
  body: () => Buffer;
}

/** A slow or idle client is cut off: nothing ctdoctor serves takes longer than this to send. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
/** Prometheus and a browser send a few hundred bytes of headers; far more is not a scraper. */
const MAX_HEADER_BYTES = 8 * 1024;

function landingPage(): string {
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>ctdoctor</title></head><body>',
    '<h1>ctdoctor serve</h1>',
    '<p>Per-namespace conntrack metrics: <a href="/metrics">/metrics</a>.</p>',
    '</body></html>',
    '',
  ].join('\n');
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  head: boolean,
): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(head ? undefined : body);
}

async function handle(
  metrics: MetricsText,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const head = request.method === 'HEAD';
  // Nothing here changes anything: only reads are allowed.
  if (request.method !== 'GET' && !head) {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    return;
  }
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/metrics') {
    send(response, 200, metrics.contentType, metrics.body(), head);
  } else if (path === '/') {
    send(response, 200, 'text/html; charset=utf-8', landingPage(), head);
  } else {
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  }
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** Serves / and /metrics; resolves once listening (rejects if the address is taken). */
export async function startHttpServer(metrics: MetricsText, address: ListenAddress): Promise<Server> {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (request, response) => {
    handle(metrics, request, response).catch((error: unknown) => {
      send(
        response,
        500,
        'text/plain; charset=utf-8',
        `${error instanceof Error ? error.message : String(error)}\n`,
        false,
      );
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Stops accepting, and ends idle keep-alive connections so close() does not wait on them. */
export function stopHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
