import type { LabNamespace } from './labNamespace.js';

/**
 * Table patterns made for real in a lab namespace, each with what `ctdoctor analyze` must report
 * (kind and subject, at any severity; `unreplied-heavy`, which accompanies the unanswered patterns,
 * is not listed) and, where a finding accuses someone, exactly whom. A scenario with nothing
 * expected is healthy: it must yield nothing above info. The fixture capture script, the corpus,
 * the kernel tests and the coming `lab` command share them.
 */
export interface TableScenario {
  name: string;
  description: string;
  make: (lab: LabNamespace) => Promise<unknown>;
  expected: [kind: string, subject: string][];
  /** The offenders (addresses `block --from-findings` may take) of an expected finding, by subject; none when absent. */
  offenders?: Record<string, string[]>;
}

export const SCANNER = '127.0.0.66';
export const POOL = { client: '127.0.0.50', server: '127.0.0.60', port: 5432 } as const;
/** A resolver that answers, and one in the lab's BLACKHOLE_NET (new flows dropped): it never answers. */
export const LIVE_RESOLVER = { server: '127.0.0.53', port: 53 } as const;
export const DEAD_RESOLVER = { target: '127.99.0.53', port: 53 } as const;
export const DEAD_UPSTREAM_TCP = { target: '127.99.0.80', port: 443 } as const;
/** A service address DNATed to a backend: .81 stops answering (its server is killed), .82 answers. */
export const NAT_SERVICE = {
  vip: '127.0.0.80',
  port: 53,
  dead: '127.0.0.81',
  live: '127.0.0.82',
  backendPort: 5353,
};
export const FLOOD_OFFENDER = '127.0.0.77';
export const CHURN_CLIENT = '127.0.0.40';

/**
 * How long the pools look idle: the kernel resets an ESTABLISHED entry's timer to the established
 * timeout on every packet, so idle = timeout − remaining; `conntrack -U --timeout` sets the
 * remaining time as if the pool had been silent this long (hours, as a leaked pool is).
 */
const POOL_IDLE_SECONDS = 3 * 3600;
const ESTABLISHED_TIMEOUT_SECONDS = 432000; // the kernel default (KERNEL-FACTS "Default timeouts")

/**
 * Makes every TCP entry to `server` look idle for POOL_IDLE_SECONDS. `conntrack -U -d ADDR` updates
 * while it still reads the dump, and over ~256 entries stops with ENOBUFS, or now and then EPROTO (conntrack-tools 1.4.7,
 * Linux 6.18; the dump order is the same each time, so a rerun updates the same ones): the entries
 * it missed are updated one by one by their original tuple. (`-U -p tcp --dport P` fails with
 * EOPNOTSUPP after one entry, and `-R` of `-U` lines with EPROTO part-way: neither helps.)
 */
async function ageConnections(lab: LabNamespace, server: string): Promise<void> {
  const timeout = Number(await lab.readSysctl('nf_conntrack_tcp_timeout_established'));
  if (timeout !== ESTABLISHED_TIMEOUT_SECONDS)
    throw new Error(`established timeout ${timeout}, not the default`);
  const remaining = timeout - POOL_IDLE_SECONDS;
  const bulk = await lab.exec('conntrack', ['-U', '-d', server, '-t', String(remaining)]);
  // Stopped part-way: ENOBUFS, or EPROTO ("Protocol error", seen once under load); the pass below
  // updates whatever it missed.
  const partWay = ['No buffer space available', 'Protocol error'].some((text) => bulk.stderr.includes(text));
  if (bulk.exitCode !== 0 && !partWay) throw new Error(`conntrack -U -d ${server}: ${bulk.stderr.trim()}`);
  const listing = await lab.execChecked('conntrack', ['-L', '-p', 'tcp', '--orig-dst', server]);
  // A line as conntrack-tools prints it: the remaining timeout, then the original tuple first.
  const missed = [
    ...listing.matchAll(/^tcp +6 (\d+) .*?src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/gm),
  ].filter(([, left]) => Number(left) > remaining);
  for (let first = 0; first < missed.length; first += AGE_CONCURRENCY) {
    await Promise.all(
      missed
        .slice(first, first + AGE_CONCURRENCY)
        .map(([, , src, dst, sport, dport]) =>
          lab.execChecked('conntrack', [
            '-U',
            '-s',
            src!,
            '-d',
            dst!,
            '-p',
            'tcp',
            '--sport',
            sport!,
            '--dport',
            dport!,
            '-t',
            String(remaining),
          ]),
        ),
    );
  }
}
/** One-by-one updates run at once (each is an `ip netns exec conntrack`, ~0.1–0.2 s). */
const AGE_CONCURRENCY = 8;

/**
 * The NAT of a local service: the output hook, because the lab's traffic is local (a node's own
 * traffic to a Kubernetes ClusterIP takes the same path). Loopback addresses only.
 */
function dnatRuleset(backend: string): string {
  const { vip, port, backendPort } = NAT_SERVICE;
  for (const address of [vip, backend])
    if (!address.startsWith('127.')) throw new Error(`${address}: lab NAT stays on loopback`);
  return [
    'table ip ctdoctor_lab_nat {',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${vip} udp dport ${port} dnat to ${backend}:${backendPort}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Points the service at `backend`, replacing any earlier rule (as a proxy does on endpoint change). */
async function pointService(lab: LabNamespace, backend: string): Promise<void> {
  const flush = (await lab.exec('nft', ['list', 'table', 'ip', 'ctdoctor_lab_nat'])).exitCode === 0;
  const ruleset = `${flush ? 'delete table ip ctdoctor_lab_nat\n' : ''}${dnatRuleset(backend)}`;
  await lab.execChecked('nft', ['-f', '-'], ruleset);
}

/** Entries the kernel lists for a `conntrack -L` filter. */
async function listed(lab: LabNamespace, filter: string[]): Promise<number> {
  const { stdout } = await lab.exec('conntrack', ['-L', ...filter]);
  return stdout.split('\n').filter((line) => line.trim()).length;
}

/**
 * A stale NAT: the backend answers 30 queries, then stops (its process is gone); 120 clients (one
 * socket each, a query every 100 ms) start while the service still points there; then the proxy
 * moves the service to a live backend and 60 new clients are answered there. The 120 stay pinned
 * to the dead backend: NAT is decided on a flow's first packet, and each retry refreshes the
 * entry's timer, so it never expires.
 */
async function makeStaleNat(lab: LabNamespace): Promise<void> {
  const { vip, port, dead, live, backendPort } = NAT_SERVICE;
  const backend = lab.startWorkload('udp-server', { server: dead, port: backendPort });
  await backend.ready;
  await pointService(lab, dead);
  await lab.runWorkload('udp-queries', { count: 30, clients: 10, offset: 2900, target: vip, port });
  backend.child.kill('SIGKILL');
  await backend.finished;
  await lab.startWorkload('udp-steady', { clients: 120, offset: 3000, target: vip, port }).ready;
  await lab.startWorkload('udp-server', { server: live, port: backendPort }).ready;
  await pointService(lab, live);
  await lab.startWorkload('udp-steady', { clients: 60, offset: 3200, target: vip, port }).ready;
  await lab.waitFor(
    async () => (await listed(lab, ['-p', 'udp', '--reply-src', live, '--status', 'SEEN_REPLY'])) >= 60,
    15_000,
    'the live backend to answer the new clients',
  );
}

/** A NAT'd service whose backend answers every client. */
async function makeHealthyNat(lab: LabNamespace): Promise<void> {
  const { vip, port, live, backendPort } = NAT_SERVICE;
  await lab.startWorkload('udp-server', { server: live, port: backendPort }).ready;
  await pointService(lab, live);
  await lab.runWorkload('udp-queries', { count: 300, clients: 30, offset: 3400, target: vip, port });
}

const deadUpstreamUdp = async (lab: LabNamespace) => {
  await lab.runWorkload('udp-answered', { count: 300, clients: 20, offset: 1200, ...LIVE_RESOLVER });
  await lab.runWorkload('udp-queries', {
    count: 150,
    clients: 5,
    offset: 1300,
    'wait-ms': 0,
    ...DEAD_RESOLVER,
  });
};

const pool = async (lab: LabNamespace) => {
  await lab.startWorkload('tcp-hold', { count: 300, ...POOL }).ready;
  await ageConnections(lab, POOL.server);
};

const udpFlood = (lab: LabNamespace) =>
  lab.runWorkload('udp-sources', { count: 300, offset: 500, target: '127.0.0.1', port: 53 });

const scan = async (lab: LabNamespace) => {
  await lab.runWorkload('udp-answered', { count: 20 });
  await lab.runWorkload('tcp-scan', { ports: '20000-20199', source: SCANNER });
};

const timeWait = (lab: LabNamespace) =>
  lab.runWorkload('tcp-churn', { count: 300, port: 8080, client: CHURN_CLIENT });

/** The single-pattern tables: each also captured as plain text under test/fixtures/tables. */
export const TABLE_SCENARIOS: TableScenario[] = [
  {
    name: 'scan',
    description: 'a TCP port scan from one source',
    make: scan,
    expected: [['port-scan', SCANNER]],
    offenders: { [SCANNER]: [SCANNER] },
  },
  {
    name: 'udp-flood',
    description: 'a UDP flood from many 127.x sources to one port',
    make: udpFlood,
    expected: [['udp-flood', '127.0.0.1:53/udp']],
  },
  {
    name: 'udp-flood-offender',
    description: 'a UDP flood of 200 one-datagram sources and one source holding 320 flows',
    make: async (lab) => {
      await lab.runWorkload('udp-sources', { count: 200, offset: 500, target: '127.0.0.1', port: 53 });
      await lab.runWorkload('udp-queries', {
        count: 320,
        source: FLOOD_OFFENDER,
        'wait-ms': 0,
        target: '127.0.0.1',
        port: 53,
      });
    },
    expected: [['udp-flood', '127.0.0.1:53/udp']],
    offenders: { '127.0.0.1:53/udp': [FLOOD_OFFENDER] },
  },
  {
    name: 'time-wait',
    description: 'a TIME_WAIT pile from short TCP connections of one client',
    make: timeWait,
    expected: [['time-wait-pile', '127.0.0.1:8080/tcp']],
  },
  {
    name: 'pool',
    description: 'a held-open pool of ESTABLISHED connections, idle for hours',
    make: pool,
    expected: [['established-leak', `${POOL.client} -> ${POOL.server}:${POOL.port}`]],
  },
  {
    name: 'dead-upstream-udp',
    description: 'DNS answered by a live resolver while 5 clients retry a dead one',
    make: deadUpstreamUdp,
    expected: [['dead-upstream', `${DEAD_RESOLVER.target}:${DEAD_RESOLVER.port}/udp`]],
  },
  {
    name: 'dead-upstream-tcp',
    description: '3 clients retrying connections to an upstream that never answers',
    make: (lab) =>
      lab.runWorkload('tcp-retry', { clients: 3, attempts: 40, offset: 1400, ...DEAD_UPSTREAM_TCP }),
    expected: [['dead-upstream', `${DEAD_UPSTREAM_TCP.target}:${DEAD_UPSTREAM_TCP.port}/tcp`]],
  },
  {
    name: 'stale-nat',
    description: 'UDP clients pinned by DNAT to a backend that stopped answering',
    make: makeStaleNat,
    expected: [
      [
        'stale-nat',
        `${NAT_SERVICE.vip}:${NAT_SERVICE.port}/udp -> ${NAT_SERVICE.dead}:${NAT_SERVICE.backendPort}`,
      ],
    ],
  },
  {
    name: 'busy-client-fresh',
    description: 'a web server whose heaviest client holds many fresh ESTABLISHED connections',
    // 1200 over 80 Zipf clients: the top two hold ~240 and ~120, above the rules' 100-entry floor,
    // so their fresh timers (not their size) are what must keep established-leak quiet.
    make: (lab) =>
      lab.startWorkload('tcp-zipf', {
        count: 1200,
        clients: 80,
        offset: 1500,
        server: '127.0.0.1',
        port: 443,
      }).ready,
    expected: [],
  },
  {
    name: 'healthy',
    description: 'a healthy mix: a pool spread over 50 clients, a few short connections, answered DNS',
    make: async (lab) => {
      await lab.startWorkload('tcp-hold', {
        count: 200,
        clients: 50,
        offset: 100,
        server: POOL.server,
        port: POOL.port,
      }).ready;
      await lab.runWorkload('tcp-churn', { count: 60, port: 8080 });
      await lab.runWorkload('udp-answered', { count: 150 });
    },
    expected: [],
  },
];

/** Two scenarios in one namespace, one after the other: both must be named. */
function combined(first: TableScenario, second: TableScenario): TableScenario {
  return {
    name: `${first.name}+${second.name}`,
    description: `${first.description}; and ${second.description}`,
    make: async (lab) => {
      await first.make(lab);
      await second.make(lab);
    },
    expected: [...first.expected, ...second.expected],
    offenders: { ...first.offenders, ...second.offenders },
  };
}

/** Healthy tables of the kinds operators run: nothing above info. */
const HEALTHY_SCENARIOS: TableScenario[] = [
  {
    name: 'healthy-web',
    description: 'a busy web server: Zipf-sized clients with fresh connections, some TIME_WAIT churn',
    make: async (lab) => {
      // The top two of 120 Zipf clients hold ~220 and ~110 connections (see busy-client-fresh).
      await lab.startWorkload('tcp-zipf', {
        count: 1200,
        clients: 120,
        offset: 1700,
        server: '127.0.0.1',
        port: 443,
      }).ready;
      await lab.runWorkload('tcp-churn', { count: 60, port: 8080, client: CHURN_CLIENT });
    },
    expected: [],
  },
  {
    name: 'healthy-dns',
    description: 'DNS load from 60 clients, every query answered',
    make: (lab) =>
      lab.runWorkload('udp-answered', { count: 600, clients: 60, offset: 1900, ...LIVE_RESOLVER }),
    expected: [],
  },
  {
    name: 'healthy-pools',
    description: 'connection pools spread over 60 clients, idle for hours',
    make: async (lab) => {
      await lab.startWorkload('tcp-hold', {
        count: 300,
        clients: 60,
        offset: 2000,
        server: POOL.server,
        port: POOL.port,
      }).ready;
      await ageConnections(lab, POOL.server);
    },
    expected: [],
  },
  {
    name: 'healthy-nat',
    description: "a NAT'd UDP service whose backend answers every client",
    make: makeHealthyNat,
    expected: [],
  },
  {
    name: 'healthy-ipv6',
    description: 'IPv6 on ::1: answered UDP, short TCP connections and a small fresh pool',
    make: async (lab) => {
      await lab.runWorkload('udp-answered', { count: 150, server: '::1', port: 53 });
      await lab.runWorkload('tcp-churn', { count: 40, server: '::1', port: 8080 });
      await lab.startWorkload('tcp-hold', { count: 20, server: '::1', port: POOL.port }).ready;
    },
    expected: [],
  },
];

function find(list: TableScenario[], name: string): TableScenario {
  const found = list.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no lab scenario ${name}`);
  return found;
}
const single = (name: string) => find(TABLE_SCENARIOS, name);

/**
 * The labelled corpus (test/fixtures/corpus, `npm run corpus`): every single pattern, the healthy
 * tables, and pairs of patterns in one table, whose findings must be the union.
 */
export const CORPUS_SCENARIOS: TableScenario[] = [
  ...TABLE_SCENARIOS,
  ...HEALTHY_SCENARIOS,
  ...[
    ['scan', 'dead-upstream-udp'],
    ['time-wait', 'stale-nat'],
    ['udp-flood', 'pool'],
  ].map(([first, second]) => combined(single(first!), single(second!))),
];

export function scenario(name: string): TableScenario {
  return find(CORPUS_SCENARIOS, name);
}
