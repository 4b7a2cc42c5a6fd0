/**
 * The lab's load generator: one process inside a lab namespace (started by labRun.ts through
 * nsenter), one workload, driven open-loop at the asked rate for the asked seconds. It prints
 * GeneratorMessage lines (core/lab/generatorReport.ts) and reports the rate it really achieved, so
 * a run never claims a load it did not make. Every address is loopback (core/lab/labEndpoints.ts).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { GeneratorDone, GeneratorMessage, PoolOutcome } from '../core/lab/generatorReport.js';
import { LAB_ENDPOINTS, blackholeAddress } from '../core/lab/labEndpoints.js';
import { type GeneratorSpec, SOURCES_PER_GENERATOR } from '../core/lab/labScenarios.js';
import { type LatencyHistogram, recordLatency } from '../core/lab/latencyHistogram.js';
import { loopbackAddress } from './loopback.js';

/**
 * Where the generator runs: `both` in a single lab namespace (its servers and its clients), or one
 * end of a router topology, the `server` end only serving and the `client` end only sending.
 */
export type GeneratorRole = 'both' | 'server' | 'client';

export interface GeneratorArgs extends GeneratorSpec {
  seconds: number;
  role: GeneratorRole;
}

/** A SYN dropped at a full table is resent after 1 s: 3 s lets a connect see one retry. */
const CONNECT_TIMEOUT_MS = 3000;
const ANSWER_TIMEOUT_MS = 1000;
/** Flows in flight at once; past it the generator falls behind (and the achieved rate says so). */
const MAX_IN_FLIGHT = 4096;
/** A SYN leaves at connect(): the socket is only held so the kernel does not reuse its port at once. */
const SCAN_HOLD_MS = 20;
/** Starts per 5 ms tick at most, so timers and I/O run between them at any asked rate. */
const MAX_STARTS_PER_TICK = 1000;
const TICK_MS = 5;
const PING_INTERVAL_MS = 1000;
/** A pool connection whose last answer is older than this at the end did not survive. */
const PING_STALE_MS = 2500;

const emit = (message: GeneratorMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Tally {
  attempts = 0;
  ok = 0;
  failed = 0;
  inFlight = 0;
  readonly errors: Record<string, number> = {};
  readonly latency: LatencyHistogram = {};
  private tick = { attempts: 0, ok: 0, failed: 0 };

  attempt(): void {
    this.attempts++;
    this.tick.attempts++;
  }
  success(startedAt?: number): void {
    this.ok++;
    this.tick.ok++;
    if (startedAt !== undefined) recordLatency(this.latency, performance.now() - startedAt);
  }
  failure(code: string): void {
    this.failed++;
    this.tick.failed++;
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
  /** This second's counts, then zero. */
  takeTick(second: number): GeneratorMessage {
    const message = { type: 'tick' as const, second, ...this.tick };
    this.tick = { attempts: 0, ok: 0, failed: 0 };
    return message;
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error';

function listenTcp(host: string, port: number, onSocket: (socket: Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    onSocket(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => resolve(server));
  });
}

async function echoUdp(host: string, port: number): Promise<UdpSocket> {
  const server = createSocket('udp4');
  server.on('error', () => {});
  server.on('message', (message, peer) => server.send(message, peer.port, peer.address));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(port, host, () => resolve());
  });
  return server;
}

/** A short TCP connection: connect (timed), then the client closes first → TIME_WAIT. */
function shortConnection(tally: Tally, index: number, offset: number): void {
  const { server, port } = LAB_ENDPOINTS.shortFlows;
  const startedAt = performance.now();
  tally.inFlight++;
  const socket = connect({
    host: server,
    port,
    localAddress: loopbackAddress(offset + (index % SOURCES_PER_GENERATOR)),
  });
  const timer = setTimeout(() => {
    tally.failure('ETIMEDOUT');
    socket.destroy();
  }, CONNECT_TIMEOUT_MS);
  socket.once('connect', () => {
    clearTimeout(timer);
    tally.success(startedAt);
    socket.end();
  });
  socket.on('error', (error) => {
    if (!socket.connecting && socket.readyState !== 'opening') return;
    clearTimeout(timer);
    tally.failure(errorCode(error));
  });
  socket.once('close', () => {
    clearTimeout(timer);
    tally.inFlight--;
  });
  socket.resume();
}

/** A DNS-like query from a new socket (a new source port), answered by `target`'s echo server. */
function query(tally: Tally, index: number, offset: number, target: string, port: number): void {
  const startedAt = performance.now();
  const socket = createSocket('udp4');
  tally.inFlight++;
  let settled = false;
  const settle = (outcome: () => void) => {
    if (settled) return;
    settled = true;
    outcome();
    clearTimeout(timer);
    socket.close();
    tally.inFlight--;
  };
  const timer = setTimeout(() => settle(() => tally.failure('ETIMEDOUT')), ANSWER_TIMEOUT_MS);
  socket.on('error', (error) => settle(() => tally.failure(errorCode(error))));
  socket.once('message', () => settle(() => tally.success(startedAt)));
  socket.bind(0, loopbackAddress(offset + (index % SOURCES_PER_GENERATOR)), () =>
    socket.send('query', port, target, (error) => {
      if (error) settle(() => tally.failure(errorCode(error)));
    }),
  );
}

/** Opens flows at `rate` per second for `seconds`: `start(index)` starts one. */
async function drive(args: GeneratorArgs, tally: Tally, stop: () => boolean, start: (index: number) => void) {
  const startedAt = performance.now();
  let started = 0;
  let second = 1;
  while (!stop()) {
    const elapsedMs = performance.now() - startedAt;
    if (elapsedMs >= args.seconds * 1000) break;
    const due = Math.floor((elapsedMs / 1000) * args.ratePerSecond);
    const tickEnd = started + MAX_STARTS_PER_TICK;
    while (started < due && started < tickEnd && tally.inFlight < MAX_IN_FLIGHT) {
      tally.attempt();
      start(started++);
    }
    if (started < due) started = due; // behind: the achieved rate shows it
    if (elapsedMs >= second * 1000) emit(tally.takeTick(second++));
    await sleep(TICK_MS);
  }
  return (performance.now() - startedAt) / 1000;
}

/** Waits for flows in flight (connects, answers) to finish, at most one connect timeout. */
async function drain(tally: Tally, stop: () => boolean): Promise<void> {
  const deadline = performance.now() + CONNECT_TIMEOUT_MS + 100;
  while (tally.inFlight > 0 && performance.now() < deadline && !stop()) await sleep(20);
}

interface PoolConnection {
  socket?: Socket;
  lastAnswerAt: number;
  lost: boolean;
}

/**
 * The long pool: `connections` opened evenly over the first half of the run (a deploy during the
 * incident), each retried every second until it connects, then pinged every second until the end.
 */
async function longPool(args: GeneratorArgs, tally: Tally, stop: () => boolean): Promise<PoolOutcome> {
  const { server, port } = LAB_ENDPOINTS.longPool;
  const startedAt = performance.now();
  const endAt = startedAt + args.seconds * 1000;
  const pool: PoolConnection[] = [];
  let failedConnects = 0;
  const open = (entry: PoolConnection, index: number) => {
    if (stop() || performance.now() >= endAt) return;
    const attemptAt = performance.now();
    tally.attempt();
    const socket = connect({
      host: server,
      port,
      localAddress: loopbackAddress(args.sourceOffset + (index % SOURCES_PER_GENERATOR)),
    });
    const timer = setTimeout(() => socket.destroy(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      tally.success(attemptAt);
      entry.socket = socket;
      entry.lastAnswerAt = performance.now();
    });
    socket.on('data', () => {
      entry.lastAnswerAt = performance.now();
    });
    socket.on('error', (error) => {
      if (entry.socket !== socket)
        tally.failure(error.message === 'connect timed out' ? 'ETIMEDOUT' : errorCode(error));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (entry.socket === socket) {
        entry.lost = true;
        return;
      }
      failedConnects++;
      setTimeout(() => open(entry, index), 1000);
    });
  };
  const openingMs = (args.seconds * 1000) / 2;
  const pinger = setInterval(() => {
    for (const entry of pool) if (entry.socket && !entry.lost) entry.socket.write('ping\n');
  }, PING_INTERVAL_MS);
  let second = 1;
  for (let index = 0; index < args.connections && !stop(); index++) {
    const entry: PoolConnection = { lastAnswerAt: 0, lost: false };
    pool.push(entry);
    open(entry, index);
    const nextAt = startedAt + ((index + 1) / args.connections) * openingMs;
    while (performance.now() < nextAt && !stop()) {
      if (performance.now() - startedAt >= second * 1000) emit(tally.takeTick(second++));
      await sleep(Math.min(50, Math.max(1, nextAt - performance.now())));
    }
  }
  while (performance.now() < endAt && !stop()) {
    if (performance.now() - startedAt >= second * 1000) emit(tally.takeTick(second++));
    await sleep(50);
  }
  clearInterval(pinger);
  const now = performance.now();
  const survived = pool.filter(
    (entry) => entry.socket && !entry.lost && now - entry.lastAnswerAt < PING_STALE_MS,
  ).length;
  for (const entry of pool) entry.socket?.destroy();
  return {
    wanted: args.connections,
    survived,
    failedConnects,
    lost: pool.filter((entry) => entry.lost).length,
  };
}

/**
 * What a kind's clients talk to, started; closing them is returned. Floods and scans go to the
 * blackhole, which nothing serves. The nat-service's first backend dies half-way through the run.
 */
async function startServers(args: GeneratorArgs): Promise<(() => void)[]> {
  switch (args.kind) {
    case 'short-flows': {
      const { server, port } = LAB_ENDPOINTS.shortFlows;
      const listener = await listenTcp(server, port, (socket) => socket.resume());
      return [() => listener.close()];
    }
    case 'long-pool': {
      const { server, port } = LAB_ENDPOINTS.longPool;
      const listener = await listenTcp(server, port, (socket) =>
        socket.on('data', (data) => socket.write(data)),
      );
      return [() => listener.close()];
    }
    case 'udp-dns': {
      const { server, port } = LAB_ENDPOINTS.udpDns;
      const echo = await echoUdp(server, port);
      return [() => echo.close()];
    }
    case 'nat-service': {
      const { dying, surviving, backendPort } = LAB_ENDPOINTS.natService;
      const dyingServer = await echoUdp(dying, backendPort);
      const survivingServer = await echoUdp(surviving, backendPort);
      let dead = false;
      const die = () => {
        if (!dead) dyingServer.close();
        dead = true;
      };
      const death = setTimeout(die, (args.seconds * 1000) / 2);
      return [() => clearTimeout(death), die, () => survivingServer.close()];
    }
    default:
      return [];
  }
}

/** How long a generator ran, and what became of its pool (long-pool only). */
interface GeneratorOutcome {
  seconds: number;
  pool?: PoolOutcome;
}

/** The kind's clients, open-loop at the asked rate (the pool: its connections) for the asked seconds. */
async function runClients(args: GeneratorArgs, tally: Tally, stop: () => boolean): Promise<GeneratorOutcome> {
  const flows = async (start: (index: number) => void) => {
    const seconds = await drive(args, tally, stop, start);
    await drain(tally, stop);
    return { seconds };
  };
  switch (args.kind) {
    case 'short-flows':
      return flows((index) => shortConnection(tally, index, args.sourceOffset));
    case 'long-pool': {
      const startedAt = performance.now();
      const pool = await longPool(args, tally, stop);
      return { seconds: (performance.now() - startedAt) / 1000, pool };
    }
    case 'udp-dns': {
      const { server, port } = LAB_ENDPOINTS.udpDns;
      return flows((index) => query(tally, index, args.sourceOffset, server, port));
    }
    case 'nat-service': {
      const { vip, port } = LAB_ENDPOINTS.natService;
      return flows((index) => query(tally, index, args.sourceOffset, vip, port));
    }
    case 'udp-flood': {
      const sockets = await udpSources(args.sourceOffset);
      try {
        return await flows((index) => flood(tally, sockets, index));
      } finally {
        for (const socket of sockets) socket.close();
      }
    }
    case 'syn-scan': {
      const seconds = await drive(args, tally, stop, (index) => scanPort(tally, args.sourceOffset, index));
      return { seconds };
    }
  }
}

/** One datagram to a blackhole address and port: a new UNREPLIED entry each. */
function flood(tally: Tally, sockets: readonly UdpSocket[], index: number): void {
  const { firstPort, ports } = LAB_ENDPOINTS.udpFlood;
  tally.inFlight++;
  sockets[index % SOURCES_PER_GENERATOR]!.send(
    'flood',
    firstPort + (index % ports),
    blackholeAddress(Math.floor(index / ports)),
    (error) => {
      tally.inFlight--;
      if (error) tally.failure(errorCode(error));
      else tally.success();
    },
  );
}

/** One SYN from the scan's source (the first of its range) to the next port of a blackhole address. */
function scanPort(tally: Tally, sourceOffset: number, index: number): void {
  const socket = connect({
    host: blackholeAddress(0),
    port: 1 + (index % 65535),
    localAddress: loopbackAddress(sourceOffset),
  });
  socket.on('error', (error) => tally.failure(errorCode(error)));
  tally.success();
  setTimeout(() => socket.destroy(), SCAN_HOLD_MS);
}

/** A server-only generator (the server end of a router topology) serves until it is stopped. */
async function serveUntilStopped(stop: () => boolean): Promise<GeneratorOutcome> {
  const startedAt = performance.now();
  while (!stop()) await sleep(50);
  return { seconds: (performance.now() - startedAt) / 1000 };
}

async function run(args: GeneratorArgs, stop: () => boolean): Promise<GeneratorDone> {
  const tally = new Tally();
  const closers = args.role === 'client' ? [] : await startServers(args);
  emit({ type: 'ready' });
  const { seconds, pool } =
    args.role === 'server' ? await serveUntilStopped(stop) : await runClients(args, tally, stop);
  for (const close of closers) close();
  const { attempts, ok, failed, errors, latency } = tally;
  return {
    type: 'done',
    kind: args.kind,
    seconds,
    attempts,
    ok,
    failed,
    errors,
    latency,
    ...(pool ? { pool } : {}),
  };
}

async function udpSources(offset: number): Promise<UdpSocket[]> {
  const sockets: UdpSocket[] = [];
  for (let index = 0; index < SOURCES_PER_GENERATOR; index++) {
    const socket = createSocket('udp4');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.bind(0, loopbackAddress(offset + index), () => resolve()));
    sockets.push(socket);
  }
  return sockets;
}

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
// The lab's Ctrl-C reaches the whole process group; the lab stops its generators itself.
process.on('SIGINT', () => {});
run(JSON.parse(process.argv[2] ?? '{}') as GeneratorArgs, () => stopping).then(
  (done) => {
    emit(done);
    process.exit(0);
  },
  (error: Error) => {
    process.stderr.write(`lab generator: ${error.message}\n`);
    process.exit(1);
  },
);
