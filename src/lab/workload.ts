/**
 * Traffic generators run INSIDE a lab namespace (spawned via `ip netns exec`). Every address they
 * send to or bind is loopback (127.0.0.0/8): the workplace rule and the only safe choice.
 * Each prints one JSON summary line on stdout; long-running ones print {"ready":true} first.
 */
import { createSocket } from 'node:dgram';
import { type Socket, connect, createServer } from 'node:net';
import { loopbackAddress } from './loopback.js';

type Args = Record<string, string>;

function parseArgs(argv: string[]): { mode: string; args: Args } {
  const [mode = '', ...rest] = argv;
  const args: Args = {};
  for (let i = 0; i < rest.length; i += 2) args[rest[i]!.replace(/^--/, '')] = rest[i + 1] ?? '';
  return { mode, args };
}

const num = (args: Args, key: string, fallback: number) =>
  args[key] === undefined ? fallback : Number(args[key]);
const emit = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One socket (bound to `source` if given), a datagram to each of `count` destinations (distinct 127.x addresses × ports). */
async function udpSpread(args: Args): Promise<void> {
  const count = num(args, 'count', 100);
  const ports = num(args, 'ports', 1);
  const basePort = num(args, 'port', 9000);
  const offset = num(args, 'offset', 0);
  const seconds = num(args, 'seconds', 0);
  const ratePerSecond = num(args, 'rate', 0);
  const socket = createSocket('udp4');
  if (args.source) await new Promise<void>((resolve) => socket.bind(0, args.source, () => resolve()));
  const payload = Buffer.from('ctdoctor-lab');
  let sent = 0;
  let eperm = 0;
  let otherErrors = 0;
  const sendOne = (index: number) =>
    new Promise<void>((resolve) => {
      const host = loopbackAddress(offset + Math.floor(index / ports));
      socket.send(payload, basePort + (index % ports), host, (error) => {
        if (!error) sent++;
        else if ((error as NodeJS.ErrnoException).code === 'EPERM') eperm++;
        else otherErrors++;
        resolve();
      });
    });
  const started = Date.now();
  const total = seconds > 0 ? Number.MAX_SAFE_INTEGER : count;
  // Smaller batches make a steadier rate (`top`'s test measures one per second).
  const batch = num(args, 'batch', 256);
  for (let index = 0; index < total; index += batch) {
    const jobs: Promise<void>[] = [];
    for (let j = index; j < Math.min(index + batch, total); j++) jobs.push(sendOne(j % Math.max(count, 1)));
    await Promise.all(jobs);
    const elapsedMs = Date.now() - started;
    if (seconds > 0 && elapsedMs >= seconds * 1000) break;
    if (ratePerSecond > 0) {
      const aheadMs = ((index + batch) / ratePerSecond) * 1000 - elapsedMs;
      if (aheadMs > 0) await sleep(aheadMs);
    }
  }
  socket.close();
  emit({ mode: 'udp-spread', sent, eperm, otherErrors });
}

/** `count` distinct 127.x source addresses each send one datagram to one destination port. */
async function udpSources(args: Args): Promise<void> {
  const count = num(args, 'count', 100);
  const offset = num(args, 'offset', 0);
  const target = args.target ?? '127.0.0.1';
  const port = num(args, 'port', 53);
  const sourcePort = num(args, 'sport', 0);
  let sent = 0;
  let eperm = 0;
  for (let index = 0; index < count; index++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(sourcePort, loopbackAddress(offset + index), () => resolve());
    });
    await new Promise<void>((resolve) =>
      socket.send('ctdoctor-lab', port, target, (error) => {
        if (!error) sent++;
        else if ((error as NodeJS.ErrnoException).code === 'EPERM') eperm++;
        resolve();
      }),
    );
    socket.close();
  }
  emit({ mode: 'udp-sources', sent, eperm });
}

function listen(host: string, port: number): Promise<ReturnType<typeof createServer>> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function open(host: string, port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Short connections, client closes first: each leaves a TIME_WAIT entry behind. */
async function tcpChurn(args: Args): Promise<void> {
  const count = num(args, 'count', 100);
  const host = args.server ?? '127.0.0.1';
  const port = num(args, 'port', 8080);
  const server = await listen(host, port);
  let done = 0;
  for (let index = 0; index < count; index++) {
    const socket = await open(host, port, args.client);
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
    done++;
  }
  await sleep(200); // let the last FIN/ACKs cross before the server goes away
  server.close();
  emit({ mode: 'tcp-churn', done });
}

/**
 * A connection pool that never closes: `count` ESTABLISHED flows held until the process is killed,
 * from one `client` address, or spread over `clients` distinct loopback addresses (healthy fan-in).
 */
async function tcpHold(args: Args): Promise<void> {
  const count = num(args, 'count', 100);
  const host = args.server ?? '127.0.0.1';
  const port = num(args, 'port', 5432);
  const clients = num(args, 'clients', 0);
  const clientOffset = num(args, 'offset', 0);
  await listen(host, port);
  const sockets: Socket[] = [];
  for (let index = 0; index < count; index++) {
    const client = clients > 0 ? loopbackAddress(clientOffset + (index % clients)) : args.client;
    sockets.push(await open(host, port, client));
  }
  emit({ ready: true, mode: 'tcp-hold', held: sockets.length });
  await new Promise(() => {}); // held until killed
}

/** SYNs to many ports of a blackholed address (BLACKHOLE_NET): entries stay SYN_SENT [UNREPLIED]. */
async function tcpScan(args: Args): Promise<void> {
  const target = args.target ?? '127.99.0.1';
  const [first, last] = (args.ports ?? '40000-40099').split('-').map(Number) as [number, number];
  const source = args.source;
  let attempted = 0;
  const sockets: Socket[] = [];
  for (let port = first; port <= last; port++) {
    const socket = connect({ host: target, port, ...(source ? { localAddress: source } : {}) });
    socket.on('error', () => {});
    sockets.push(socket);
    attempted++;
  }
  await sleep(num(args, 'wait-ms', 300));
  for (const socket of sockets) socket.destroy();
  emit({ mode: 'tcp-scan', attempted });
}

/** The dgram family of a loopback address: `::1` needs a udp6 socket. */
const udpFamily = (host: string) => (host.includes(':') ? 'udp6' : 'udp4');

/** An echo server on `host`:`port` (a resolver, a backend); call close() on the result when done. */
async function echoServer(host: string, port: number): Promise<ReturnType<typeof createSocket>> {
  const server = createSocket(udpFamily(host));
  server.on('message', (message, peer) => server.send(message, peer.port, peer.address));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(port, host, () => resolve());
  });
  return server;
}

/**
 * `count` queries to `target`:`port`, each from a NEW socket (a new source port, as a stub resolver
 * sends), round-robin over `clients` distinct loopback sources from `offset` (or `source`, or the
 * kernel's choice). Each waits up to `wait-ms` for an answer; 0 sends and moves on, so a query to a
 * dead address costs nothing. With `rate`, queries start at that many per second (a constant-rate
 * load for `plan`'s test); with `seconds`, they go on that long instead of `count` times.
 */
async function sendQueries(
  args: Args,
  target: string,
  port: number,
): Promise<{ sent: number; answered: number; seconds: number }> {
  const seconds = num(args, 'seconds', 0);
  const count = seconds > 0 ? Number.MAX_SAFE_INTEGER : num(args, 'count', 100);
  const clients = num(args, 'clients', 0);
  const offset = num(args, 'offset', 0);
  const waitMs = num(args, 'wait-ms', 500);
  const ratePerSecond = num(args, 'rate', 0);
  const started = Date.now();
  let answered = 0;
  let index = 0;
  for (; index < count; index++) {
    if (seconds > 0 && Date.now() - started >= seconds * 1000) break;
    if (ratePerSecond > 0) await sleep((index / ratePerSecond) * 1000 - (Date.now() - started));
    const source = clients > 0 ? loopbackAddress(offset + (index % clients)) : args.source;
    const client = createSocket(udpFamily(target));
    client.on('error', () => {}); // an ICMP error from a port with no listener is the point here
    if (source) await new Promise<void>((resolve) => client.bind(0, source, () => resolve()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      client.once('message', () => {
        answered++;
        clearTimeout(timer);
        resolve();
      });
      client.send('query', port, target);
    });
    client.close();
  }
  return { sent: index, answered, seconds: (Date.now() - started) / 1000 };
}

/** A replying UDP service (DNS-like) and its clients: `count` queries (see sendQueries), each answered. */
async function udpAnswered(args: Args): Promise<void> {
  const host = args.server ?? '127.0.0.53';
  const port = num(args, 'port', 53);
  const server = await echoServer(host, port);
  const queries = await sendQueries(args, host, port);
  server.close();
  emit({ mode: 'udp-answered', ...queries });
}

/** Queries to a service this process does not run (a dead resolver, a NAT'd address): see sendQueries. */
async function udpQueries(args: Args): Promise<void> {
  const { answered } = await sendQueries(args, args.target ?? '127.0.0.53', num(args, 'port', 53));
  emit({ mode: 'udp-queries', answered });
}

/** An echo server held until killed (a NAT backend). */
async function udpServer(args: Args): Promise<void> {
  await echoServer(args.server ?? '127.0.0.53', num(args, 'port', 53));
  emit({ ready: true, mode: 'udp-server' });
  await new Promise(() => {}); // held until killed
}

/**
 * `clients` distinct loopback sources from `offset`, each with ONE socket (one fixed source port)
 * sending a query every `interval-ms` until killed: one conntrack entry per client whose timer every
 * query refreshes (a resolver client pinned to its first NAT decision). Ready after the first round.
 */
async function udpSteady(args: Args): Promise<void> {
  const clients = num(args, 'clients', 5);
  const offset = num(args, 'offset', 0);
  const target = args.target ?? '127.0.0.53';
  const port = num(args, 'port', 53);
  const intervalMs = num(args, 'interval-ms', 100);
  const sockets: ReturnType<typeof createSocket>[] = [];
  for (let index = 0; index < clients; index++) {
    const socket = createSocket('udp4');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.bind(0, loopbackAddress(offset + index), () => resolve()));
    sockets.push(socket);
  }
  const round = () =>
    Promise.all(
      sockets.map(
        (socket) => new Promise<void>((resolve) => socket.send('query', port, target, () => resolve())),
      ),
    );
  await round();
  emit({ ready: true, mode: 'udp-steady', clients });
  for (;;) {
    await sleep(intervalMs);
    await round();
  }
}

/**
 * SYNs from `clients` distinct loopback sources (from `offset`), `attempts` each, every one a new
 * socket, to ONE `target`:`port` (a dead upstream when the target is blackholed): entries stay
 * SYN_SENT. Sockets are dropped after `wait-ms`; the entries outlive them (SYN_SENT timeout 120 s).
 */
async function tcpRetry(args: Args): Promise<void> {
  const clients = num(args, 'clients', 3);
  const attempts = num(args, 'attempts', 30);
  const offset = num(args, 'offset', 0);
  const target = args.target ?? '127.99.0.80';
  const port = num(args, 'port', 443);
  const sockets: Socket[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    for (let index = 0; index < clients; index++) {
      const socket = connect({ host: target, port, localAddress: loopbackAddress(offset + index) });
      socket.on('error', () => {});
      sockets.push(socket);
    }
  }
  await sleep(num(args, 'wait-ms', 300));
  for (const socket of sockets) socket.destroy();
  emit({ mode: 'tcp-retry', attempted: sockets.length });
}

/**
 * A web server with heavy-tailed clients: `count` ESTABLISHED connections held until killed, the
 * i-th of `clients` loopback sources (from `offset`) holding a share ∝ 1/(i+1)^`exponent` (Zipf),
 * as real client populations are: a few heavy users, a long tail of light ones.
 */
async function tcpZipf(args: Args): Promise<void> {
  const count = num(args, 'count', 300);
  const clients = num(args, 'clients', 50);
  const offset = num(args, 'offset', 0);
  const exponent = num(args, 'exponent', 1);
  const host = args.server ?? '127.0.0.1';
  const port = num(args, 'port', 443);
  await listen(host, port);
  const weights = Array.from({ length: clients }, (_, i) => 1 / (i + 1) ** exponent);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const sockets: Socket[] = [];
  for (const [index, weight] of weights.entries()) {
    const connections = Math.max(1, Math.round((count * weight) / total));
    for (let i = 0; i < connections; i++)
      sockets.push(await open(host, port, loopbackAddress(offset + index)));
  }
  emit({ ready: true, mode: 'tcp-zipf', held: sockets.length });
  await new Promise(() => {}); // held until killed
}

const MODES: Record<string, (args: Args) => Promise<void>> = {
  'udp-answered': udpAnswered,
  'udp-queries': udpQueries,
  'udp-server': udpServer,
  'udp-steady': udpSteady,
  'tcp-retry': tcpRetry,
  'tcp-zipf': tcpZipf,
  'udp-spread': udpSpread,
  'udp-sources': udpSources,
  'tcp-churn': tcpChurn,
  'tcp-hold': tcpHold,
  'tcp-scan': tcpScan,
};

const { mode, args } = parseArgs(process.argv.slice(2));
const run = MODES[mode];
if (!run) {
  process.stderr.write(`workload: unknown mode "${mode}" (${Object.keys(MODES).join(', ')})\n`);
  process.exit(2);
}
run(args).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`workload ${mode}: ${error.message}\n`);
    process.exit(1);
  },
);
