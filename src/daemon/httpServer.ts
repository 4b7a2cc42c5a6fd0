import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { isCtdoctorError } from '../core/errors.js';

/** A path's answer, built from the latest sample (most are built once per sample, not per request). */
export interface Reply {
  /** 200 unless said. */
  status?: number;
  contentType: string;
  body: Buffer;
}

export interface Route {
  /** May throw a 'usage' CtdoctorError for a bad query: the client gets a 400 with its line. */
  reply: (query: URLSearchParams) => Reply;
  /**
   * Served without the token: the health check, and the dashboard's page and assets, which are the
   * same bytes for everyone and hold no data (the page asks for the token to read the API).
   */
  open?: boolean;
}

/** Exact paths only: there is no file system behind the server, so nothing to traverse. */
export type Routes = ReadonlyMap<string, Route>;

export interface ListenAddress {
  host: string;
  port: number;
}

export interface HttpSecurity {
  /** Required as `Authorization: Bearer <token>` on every route not `open`. */
  token: string | undefined;
  /** PEM certificate chain and key: HTTPS instead of HTTP. */
  tls: { cert: Buffer; key: Buffer } | undefined;
}

/** A slow or idle client is cut off: nothing ctdoctor serves takes longer than this to send. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
/** How often Node checks the two timeouts above (its default, 30 s, would let a slow client sit 35 s). */
const TIMEOUT_CHECK_MS = 1_000;
/** Prometheus and a browser send a few hundred bytes of headers; far more is not a scraper. */
const MAX_HEADER_BYTES = 8 * 1024;
/**
 * Prometheus holds one connection per target, a browser a handful: 64 leaves room for both and
 * bounds what a client opening sockets in a loop can take (Node drops the connections beyond it).
 */
const MAX_CONNECTIONS = 64;

const TEXT = 'text/plain; charset=utf-8';

/**
 * Every response: no sniffing a type, no referrer, no framing, nothing cached (the data is live),
 * and scripts and styles only from the daemon itself (netns names are the system's text).
 */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function send(
  response: ServerResponse,
  status: number,
  reply: Reply,
  head: boolean,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'content-type': reply.contentType,
    'content-length': reply.body.length,
  });
  response.end(head ? undefined : reply.body);
}

function text(line: string): Reply {
  return { contentType: TEXT, body: Buffer.from(`${line}\n`) };
}

/** A path segment of ours: no dot first (so no `.` or `..`), no `%` (so nothing encoded), no `\`. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The path and query of an origin-form target (`/api/history?netns=1`), or undefined for anything
 * else: `..` or an encoded dot, `//host` (which URL parsing would read as a host), `*`, an absolute
 * URL. Read by hand, not by `new URL`, which would resolve `/assets/%2e%2e/metrics` to `/metrics`.
 */
export function requestTarget(raw: string): { path: string; query: URLSearchParams } | undefined {
  const queryAt = raw.indexOf('?');
  const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
  if (!path.startsWith('/')) return undefined;
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  if (
    path !== '/' &&
    !segments.every((segment, i) => SEGMENT.test(segment) || (i === last && i > 0 && segment === ''))
  )
    return undefined;
  return { path, query: new URLSearchParams(queryAt < 0 ? '' : raw.slice(queryAt + 1)) };
}

/** Compared as digests so the comparison takes as long whatever the length or the first wrong byte. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

/** The daemon answers reads only: a body (a POST's, or a GET carrying one) is refused unread. */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function handle(
  routes: Routes,
  token: string | undefined,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const head = request.method === 'HEAD';
  // Nothing here changes anything: only reads are allowed.
  if (request.method !== 'GET' && !head) {
    send(response, 405, text('method not allowed: only GET and HEAD'), false, { allow: 'GET, HEAD' });
    return;
  }
  if (hasBody(request)) {
    send(response, 413, text('request bodies are not accepted'), head, { connection: 'close' });
    return;
  }
  const target = requestTarget(request.url ?? '');
  if (!target) {
    send(response, 400, text('bad request path'), head);
    return;
  }
  const route = routes.get(target.path);
  // The token first, so that a client without it cannot tell which paths exist.
  if (token !== undefined && !route?.open && !tokenMatches(request.headers.authorization, token)) {
    send(response, 401, text('a bearer token is required'), head, {
      'www-authenticate': 'Bearer realm="ctdoctor"',
    });
    return;
  }
  if (!route) {
    send(response, 404, text('not found'), head);
    return;
  }
  try {
    const reply = route.reply(target.query);
    send(response, reply.status ?? 200, reply, head);
  } catch (error) {
    const usage = isCtdoctorError(error) && error.kind === 'usage';
    send(response, usage ? 400 : 500, text(error instanceof Error ? error.message : String(error)), head);
  }
}

/** Serves `routes`; resolves once listening (rejects if the address is taken). */
export async function startHttpServer(
  routes: Routes,
  address: ListenAddress,
  security: HttpSecurity = { token: undefined, tls: undefined },
): Promise<Server> {
  const options = {
    maxHeaderSize: MAX_HEADER_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  };
  const listener = (request: IncomingMessage, response: ServerResponse) =>
    handle(routes, security.token, request, response);
  const server: Server = security.tls
    ? createTlsServer(
        // A client that opens a socket and never finishes the handshake is cut off as a slow one.
        { ...options, cert: security.tls.cert, key: security.tls.key, handshakeTimeout: HEADERS_TIMEOUT_MS },
        listener,
      )
    : createServer(options, listener);
  server.maxConnections = MAX_CONNECTIONS;
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
