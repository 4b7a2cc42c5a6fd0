import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { startServe } from '../support/serve.js';

/**
 * serve's HTTP surface as an attacker or a careless client meets it: raw sockets where fetch would
 * tidy the request up first (it resolves `..`, refuses a GET with a body, never sends 9 KB headers).
 */

const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];
const scratch = mkdtempSync(join(tmpdir(), 'ctdoctor-serve-security-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type Serve = Awaited<ReturnType<typeof startServe>>;

interface RawAnswer {
  status: number | undefined;
  head: string;
  /** From the last byte sent to the server closing the connection. */
  closedAfterMs: number;
}

/** Sends `text` as is and reads until the server closes (or `giveUpMs` passes: then it is our failure). */
function raw(url: string, text: string, giveUpMs = 15_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let sentAt = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open over ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('connect', () => {
      socket.write(text);
      sentAt = Date.now();
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const head = received.split('\r\n\r\n')[0] ?? '';
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      resolve({ status: status ? Number(status) : undefined, head, closedAfterMs: Date.now() - sentAt });
    });
  });
}

const request = (path: string, headers = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`;

describe('serve HTTP security', () => {
  let serve: Serve;
  const token = 'c0ffee-0123456789abcdef';

  before(async () => {
    const tokenFile = join(scratch, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    serve = await startServe([
      ...TREE,
      '--listen',
      '127.0.0.1:0',
      '--interval',
      '0.5',
      '--token-file',
      tokenFile,
    ]);
  });
  after(async () => {
    assert.equal(await serve.stop(), 0);
  });

  it('with --token-file: every data path wants the bearer token; the page, its assets and /healthz do not', async () => {
    for (const path of ['/metrics', '/api/status', '/api/history', '/api/findings', '/api/drift', '/nope']) {
      const refused = await fetch(`${serve.url}${path}`);
      assert.equal(refused.status, 401, path);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="ctdoctor"');
      const wrong = await fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${token}x` } });
      assert.equal(wrong.status, 401, `${path} with a wrong token`);
      const basic = await fetch(`${serve.url}${path}`, { headers: { authorization: `Basic ${token}` } });
      assert.equal(basic.status, 401, `${path} with the token as Basic`);
    }
    for (const path of [
      '/metrics',
      '/api/status',
      '/api/history?seconds=60',
      '/api/findings',
      '/api/drift',
    ]) {
      const answer = await fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(answer.status, 200, path);
    }
    assert.equal(
      (await fetch(`${serve.url}/nope`, { headers: { authorization: `Bearer ${token}` } })).status,
      404,
    );
    for (const path of ['/', '/healthz', '/assets/dashboard.js', '/assets/uPlot.iife.min.js']) {
      assert.equal((await fetch(`${serve.url}${path}`)).status, 200, path);
    }
  });

  it('only GET and HEAD: other methods are 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const answer = await fetch(`${serve.url}/metrics`, { method });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.get('allow'), 'GET, HEAD');
    }
    const head = await fetch(`${serve.url}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('a request with a body is refused with 413, unread', async () => {
    const sized = await raw(serve.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`);
    assert.equal(sized.status, 413);
    const chunked = await raw(
      serve.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    );
    assert.equal(chunked.status, 413);
  });

  it('headers over 8 KiB are refused with 431', async () => {
    const answer = await raw(serve.url, request('/healthz', `X-Padding: ${'a'.repeat(9000)}\r\n`));
    assert.equal(answer.status, 431);
  });

  it('`..`, encoded dots, `//host` and absolute URLs are refused, not resolved to another path', async () => {
    for (const path of [
      '/assets/../metrics',
      '/assets/%2e%2e/metrics',
      '/assets/%2E%2E/api/status',
      '/assets/..%2fmetrics',
      '//etc/passwd',
      'http://127.0.0.1/metrics',
    ]) {
      const answer = await raw(serve.url, request(path));
      assert.equal(answer.status, 400, path);
    }
    // A path that is not in the daemon's set is not found, whatever file it names.
    const auth = `Authorization: Bearer ${token}\r\n`;
    for (const path of ['/etc/passwd', '/assets/index.html', '/assets/dashboard.js.map', '/dashboard.ts']) {
      assert.equal((await raw(serve.url, request(path, auth))).status, 404, path);
    }
  });

  it('a client that sends half its headers and waits is cut off (408) after the 5 s headers timeout', async () => {
    const answer = await raw(serve.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    assert.equal(answer.status, 408);
    assert.ok(
      answer.closedAfterMs >= 4_000,
      `cut off after ${answer.closedAfterMs} ms: sooner than the timeout`,
    );
    assert.ok(answer.closedAfterMs <= 8_000, `cut off only after ${answer.closedAfterMs} ms`);
  });
});

describe('serve connection bound', () => {
  // A serve of its own: keep-alive sockets a fetch left open to another would count against the 64.
  let serve: Serve;
  before(async () => {
    serve = await startServe([...TREE, '--listen', '127.0.0.1:0', '--interval', '0.5']);
  });
  after(async () => {
    assert.equal(await serve.stop(), 0);
  });

  it('at most 64 connections: the next one is dropped, and room comes back when they close', async () => {
    const { hostname, port } = new URL(serve.url);
    const open = await Promise.all(
      Array.from(
        { length: 64 },
        () =>
          new Promise<ReturnType<typeof connect>>((resolve) => {
            const socket = connect(Number(port), hostname, () => resolve(socket));
            socket.on('error', () => {});
          }),
      ),
    );
    try {
      // Let the server accept all 64 before the 65th arrives.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const dropped = await raw(serve.url, request('/healthz'), 3_000);
      assert.equal(dropped.status, undefined, 'the 65th connection got an answer');
      assert.ok(dropped.closedAfterMs < 2_000);
    } finally {
      for (const socket of open) socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await fetch(`${serve.url}/healthz`)).status, 200);
  });
});

describe('serve listening defaults and TLS', () => {
  it('binds 127.0.0.1:9466 by default, unreachable from the other addresses of this host', async () => {
    const serve = await startServe([...TREE, '--interval', '1']);
    try {
      assert.equal(serve.url, 'http://127.0.0.1:9466');
      assert.equal((await fetch(`${serve.url}/healthz`)).status, 200);
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address && !address.internal && address.family === 'IPv4')
        .map((address) => address!.address);
      for (const address of others) {
        await assert.rejects(fetch(`http://${address}:9466/healthz`), `reachable on ${address}`);
      }
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });

  it('--tls-cert/--tls-key: HTTPS with a self-signed certificate made here, and no plain HTTP', async () => {
    const cert = join(scratch, 'cert.pem');
    const key = join(scratch, 'key.pem');
    const made = spawnSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.error ? 'openssl is missing: apt-get install openssl' : made.stderr);
    const serve = await startServe([
      ...TREE,
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    try {
      assert.match(serve.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { status, body } = await new Promise<{ status: number | undefined; body: string }>(
        (resolve, reject) => {
          httpsGet(`${serve.url}/metrics`, { ca: [readFileSync(cert, 'utf8')] }, (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => {
              text += chunk.toString();
            });
            response.on('end', () => resolve({ status: response.statusCode, body: text }));
          }).on('error', reject);
        },
      );
      assert.equal(status, 200);
      assert.match(body, /^ctdoctor_conntrack_entries\{/m);
      // The certificate is checked: a client that does not trust it gets no answer.
      await assert.rejects(fetch(`${serve.url}/metrics`));
      const plain = await raw(serve.url, request('/metrics'));
      assert.notEqual(plain.status, 200);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });
});

describe('serve refuses bad security files in one line', () => {
  const empty = join(scratch, 'empty-token');
  const spaced = join(scratch, 'spaced-token');
  /** In a directory nobody may enter (mkdtemp's are 0700): only the file's own mode refuses. */
  const unreadable = join(scratch, 'open', 'unreadable-token');
  const garbage = join(scratch, 'garbage.pem');
  before(() => {
    writeFileSync(empty, '\n');
    writeFileSync(spaced, 'two words\n');
    mkdirSync(join(scratch, 'open'));
    chmodSync(scratch, 0o711);
    writeFileSync(unreadable, 'secret\n');
    chmodSync(unreadable, 0o000);
    writeFileSync(garbage, 'not a certificate\n');
  });

  for (const [args, message] of [
    [
      ['--token-file', '/nonexistent-ctdoctor-token'],
      /cannot read --token-file \/nonexistent-ctdoctor-token: it does not exist/,
    ],
    [['--token-file', empty], /--token-file .*: the file is empty/],
    [['--token-file', spaced], /--token-file .*: the token has spaces/],
    [['--tls-cert', garbage], /HTTPS needs both --tls-cert FILE and --tls-key FILE/],
    [['--tls-cert', garbage, '--tls-key', garbage], /not a PEM certificate and its private key/],
    [
      ['--token-file', empty, '--textfile', scratch],
      /option '--token-file <file>' cannot be used with option '--textfile <dir>'/,
    ],
  ] as const) {
    it(`${args.join(' ')}`, async () => {
      // --textfile and --listen conflict too: that case must meet only --token-file's refusal.
      const listen = (args as readonly string[]).includes('--textfile') ? [] : ['--listen', '127.0.0.1:0'];
      const result = await runCli(['serve', ...TREE, ...listen, ...args]);
      assert.notEqual(result.code, 0, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(!hasStackTrace(result.stderr));
    });
  }

  it('an unreadable token file (as a non-root user would meet it)', async () => {
    const result = await runCli(['serve', ...TREE, '--listen', '127.0.0.1:0', '--token-file', unreadable], {
      asNobody: true,
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot read --token-file .*unreadable-token: permission denied/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
});
