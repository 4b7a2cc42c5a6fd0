/**
 * Captures fixture trees from the real kernel (run as root: `npm run build && node dist/scripts/capture-fixtures.js [status] [tables | tables=NAME,…] [kmsg] [events] [event-logs]`).
 * Every fixture under test/fixtures comes from here; none is typed by hand. Variants that this kernel
 * cannot produce (an older stat header, procfs compiled out, conntrack not loaded) are derived from a
 * real capture by the smallest edit that models them, and say so in their README.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile, readFile, copyFile, cp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withGlobalMax } from '../src/lab/globalSettings.js';
import { type LabNamespace, withLabNamespace } from '../src/lab/labNamespace.js';
import { TABLE_SCENARIOS } from '../src/lab/tableScenarios.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** A /proc-shaped tree of one namespace: sysctls, stat file, table, plus host files. */
async function captureTree(lab: LabNamespace, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const sysctls = await lab.execChecked('grep', ['-r', '-H', '', '/proc/sys/net/netfilter']);
  for (const line of sysctls.split('\n').filter(Boolean)) {
    const colon = line.indexOf(':');
    await put(join(dir, line.slice('/proc/'.length, colon)), `${line.slice(colon + 1)}\n`);
  }
  await put(
    join(dir, 'net/stat/nf_conntrack'),
    await lab.execChecked('cat', ['/proc/net/stat/nf_conntrack']),
  );
  await put(join(dir, 'net/nf_conntrack'), await lab.execChecked('cat', ['/proc/net/nf_conntrack']));
  await put(join(dir, 'sys/kernel/osrelease'), await readFile('/proc/sys/kernel/osrelease', 'utf8'));
  await put(join(dir, 'meminfo'), await readFile('/proc/meminfo', 'utf8'));
  await put(join(dir, 'slabinfo'), await readFile('/proc/slabinfo', 'utf8'));
}

async function captureCommands(lab: LabNamespace, dir: string): Promise<void> {
  await put(join(dir, 'conntrack-S.txt'), await lab.execChecked('conntrack', ['-S']));
  await put(join(dir, 'conntrack-C.txt'), await lab.execChecked('conntrack', ['-C']));
}

async function captureFullTable(): Promise<void> {
  await withLabNamespace(async (lab) => {
    await lab.runWorkload('udp-spread', { count: 150, port: 9000 });
    await withGlobalMax(200, async () => {
      await lab.runWorkload('udp-spread', { count: 400, port: 9001, offset: 1000 });
      const full = join(FIXTURES, 'proc-6.18-full');
      await captureTree(lab, full);
      await captureCommands(lab, full);
    });
  }, 'ctdfix');
}

async function deriveVariants(): Promise<void> {
  const full = join(FIXTURES, 'proc-6.18-full');

  const old = join(FIXTURES, 'proc-old-stat-header');
  await rm(old, { recursive: true, force: true });
  await cp(full, old, { recursive: true });
  const stat = await readFile(join(full, 'net/stat/nf_conntrack'), 'utf8');
  // Pre-5.x kernels printed `searched` and `delete_list` where 6.x prints clashres and chainlength.
  await writeFile(
    join(old, 'net/stat/nf_conntrack'),
    stat.replace('clashres', 'searched').replace('chainlength', 'delete_list'),
  );
  await put(
    join(old, 'README'),
    'Derived from proc-6.18-full: stat header as kernels before clash_resolve/chaintoolong named those columns.\n',
  );

  const noStat = join(FIXTURES, 'proc-no-procfs-stat');
  await rm(noStat, { recursive: true, force: true });
  await cp(full, noStat, { recursive: true });
  await rm(join(noStat, 'net'), { recursive: true });
  await put(
    join(noStat, 'README'),
    'Derived from proc-6.18-full: a kernel built without CONFIG_NF_CONNTRACK_PROCFS (no /proc/net/nf_conntrack, no stat file).\n',
  );

  const notLoaded = join(FIXTURES, 'proc-not-loaded');
  await rm(notLoaded, { recursive: true, force: true });
  await mkdir(join(notLoaded, 'sys/kernel'), { recursive: true });
  await copyFile(join(full, 'sys/kernel/osrelease'), join(notLoaded, 'sys/kernel/osrelease'));
  await copyFile(join(full, 'meminfo'), join(notLoaded, 'meminfo'));
  await put(
    join(notLoaded, 'README'),
    'Derived from proc-6.18-full: nf_conntrack not loaded (no net/netfilter keys, no stat file).\n',
  );
}

/** Inserted entries that traffic on loopback cannot make: IPv6, NAT, every protocol, marks, zones. */
const PROTOCOL_ENTRIES: string[][] = [
  [
    '-s',
    '2001:db8::1',
    '-d',
    '2001:db8::2',
    '-p',
    'tcp',
    '--sport',
    '1234',
    '--dport',
    '443',
    '--state',
    'ESTABLISHED',
    '-t',
    '300',
    '-u',
    'ASSURED',
  ],
  [
    '-s',
    '10.1.1.1',
    '-d',
    '10.2.2.2',
    '-r',
    '10.2.2.2',
    '-q',
    '192.0.2.7',
    '-p',
    'tcp',
    '--sport',
    '5555',
    '--dport',
    '80',
    '--reply-port-src',
    '80',
    '--reply-port-dst',
    '5555',
    '--state',
    'ESTABLISHED',
    '-t',
    '300',
  ],
  [
    '-s',
    '10.1.1.1',
    '-d',
    '10.2.2.3',
    '-r',
    '10.8.8.8',
    '-q',
    '10.1.1.1',
    '-p',
    'tcp',
    '--sport',
    '5556',
    '--dport',
    '80',
    '--reply-port-src',
    '8080',
    '--reply-port-dst',
    '5556',
    '--state',
    'ESTABLISHED',
    '-t',
    '300',
  ],
  [
    '-s',
    '10.1.1.1',
    '-d',
    '10.9.9.9',
    '-p',
    'icmp',
    '--icmp-type',
    '8',
    '--icmp-code',
    '0',
    '--icmp-id',
    '77',
    '-t',
    '30',
  ],
  [
    '-s',
    '2001:db8::1',
    '-d',
    '2001:db8::9',
    '-p',
    'icmpv6',
    '--icmpv6-type',
    '128',
    '--icmpv6-code',
    '0',
    '--icmpv6-id',
    '5',
    '-t',
    '30',
  ],
  [
    '-s',
    '10.1.1.1',
    '-d',
    '10.3.3.3',
    '-p',
    'sctp',
    '--sport',
    '100',
    '--dport',
    '200',
    '--state',
    'ESTABLISHED',
    '--orig-vtag',
    '1',
    '--reply-vtag',
    '2',
    '-t',
    '100',
  ],
  ['-s', '10.1.1.1', '-d', '10.4.4.4', '-p', 'udplite', '--sport', '100', '--dport', '200', '-t', '100'],
  [
    '-s',
    '10.1.1.1',
    '-d',
    '10.5.5.5',
    '-p',
    'dccp',
    '--sport',
    '100',
    '--dport',
    '200',
    '--state',
    'OPEN',
    '--role',
    'client',
    '-t',
    '100',
  ],
  ['-s', '10.1.1.1', '-d', '10.6.6.6', '-p', 'gre', '--srckey', '0x10', '--dstkey', '0x20', '-t', '100'],
  ['-s', '10.1.1.2', '-d', '10.6.6.7', '-p', '99', '-t', '100'],
  [
    '-s',
    '10.1.1.3',
    '-d',
    '10.6.6.8',
    '-p',
    'udp',
    '--sport',
    '1',
    '--dport',
    '2',
    '-t',
    '100',
    '-m',
    '42',
    '-w',
    '7',
  ],
  ['-s', '::ffff:10.0.0.1', '-d', '2001:db8::2', '-p', 'udp', '--sport', '1', '--dport', '53', '-t', '30'],
];

/** The protocol-coverage table: real traffic plus the inserted entries above, with accounting and timestamps on. */
async function makeProtocolTable(lab: LabNamespace): Promise<void> {
  await lab.setSysctl('nf_conntrack_acct', 1);
  await lab.setSysctl('nf_conntrack_timestamp', 1);
  await lab.runWorkload('udp-answered', { count: 5 });
  await lab.runWorkload('tcp-churn', { count: 5, port: 8080 });
  for (const args of PROTOCOL_ENTRIES) await lab.execChecked('conntrack', ['-I', ...args]);
}

/** Every table (the directory made anew), or only the `names` given (`tables=scan,pool`). */
async function captureTables(names: string[] = []): Promise<void> {
  const dir = join(FIXTURES, 'tables');
  if (names.length === 0) await rm(dir, { recursive: true, force: true });
  const all = [...TABLE_SCENARIOS, { name: 'protocols', make: makeProtocolTable }];
  const unknown = names.filter((name) => !all.some((table) => table.name === name));
  if (unknown.length > 0) throw new Error(`no table scenario ${unknown.join(', ')}`);
  const tables = names.length === 0 ? all : all.filter((table) => names.includes(table.name));
  for (const { name, make } of tables) {
    await withLabNamespace(async (lab) => {
      await make(lab);
      await put(join(dir, `${name}.procfs.txt`), await lab.execChecked('cat', ['/proc/net/nf_conntrack']));
      await put(join(dir, `${name}.conntrack.txt`), await lab.execChecked('conntrack', ['-L']));
      await put(
        join(dir, `${name}.extended.txt`),
        await lab.execChecked('conntrack', ['-L', '-o', 'extended']),
      );
    }, 'ctdfix');
  }
}

/** Raw /dev/kmsg records of a table filling up in a namespace: table-full lines and ratelimit notices. */
async function captureKernelLog(): Promise<void> {
  await withLabNamespace(async (lab) => {
    await lab.setSysctl('nf_conntrack_udp_timeout', 60);
    await lab.runWorkload('udp-spread', { count: 150, port: 9000 });
    await withGlobalMax(200, async () => {
      await lab.runWorkload('udp-spread', { count: 3000, port: 9001, offset: 1000, rate: 1000 });
    });
    // dd stops with EAGAIN (a non-zero exit) once the buffer is read: that is the end, not an error.
    const kmsg = (
      await lab.exec('dd', ['if=/dev/kmsg', 'iflag=nonblock', 'bs=8192', 'count=100000', 'status=none'])
    ).stdout;
    const records = kmsg
      .split('\n')
      .filter((line) => line.includes(`netns ${lab.inode}`) || /callbacks suppressed/.test(line));
    await put(join(FIXTURES, 'kmsg', 'conntrack.txt'), `${records.slice(-40).join('\n')}\n`);
    await put(
      join(FIXTURES, 'kmsg', 'README'),
      `Captured from /dev/kmsg while netns ${lab.inode} was full (prio,seq,usec,flags;message).\n`,
    );
  }, 'ctdfix');
}

/**
 * A `conntrack -E` event log, plain and with `-o timestamp`, while entries are inserted, updated and
 * deleted: what an operator may save by mistake instead of a table dump (analyze refuses it by name).
 */
/** `conntrack -E OPTIONS` in the lab namespace; `log()` is what it has printed so far. */
function listenToEvents(lab: LabNamespace, options: readonly string[]) {
  const listener = spawn('ip', ['netns', 'exec', lab.name, 'conntrack', '-E', ...options], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let text = '';
  listener.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  return { listener, log: () => text };
}

async function captureEventLog(): Promise<void> {
  const dir = join(FIXTURES, 'events');
  await rm(dir, { recursive: true, force: true });
  // [file, options, lines expected: 4 NEW, 1 UPDATE, 1 DESTROY, as the mask lets through]
  for (const [name, options, lines] of [
    ['conntrack-E.txt', [], 6],
    ['conntrack-E-timestamp.txt', ['-o', 'timestamp'], 6],
    // What `ctdoctor top` runs (src/host/eventStream.ts), without -b, which changes no line.
    ['conntrack-E-NEW-DESTROY-timestamp-id.txt', ['-e', 'NEW,DESTROY', '-o', 'timestamp,id'], 5],
  ] as const) {
    await withLabNamespace(async (lab) => {
      const { listener, log } = listenToEvents(lab, options);
      try {
        // conntrack subscribes to the event groups before it prints anything: give it a moment.
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const args of PROTOCOL_ENTRIES.slice(0, 4)) await lab.execChecked('conntrack', ['-I', ...args]);
        await lab.execChecked('conntrack', ['-U', '-s', '10.1.1.1', '-d', '10.2.2.3', '-m', '9']);
        await lab.execChecked('conntrack', ['-D', '-s', '10.1.1.1', '-d', '10.9.9.9']);
        const deadline = Date.now() + 5000;
        while (log().split('\n').length <= lines && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        listener.kill();
      }
      await put(join(dir, name), log());
    }, 'ctdfix');
  }
  await put(
    join(dir, 'README'),
    'Captured by scripts/capture-fixtures.ts: conntrack -E (and -E -o timestamp; and -E -e NEW,DESTROY -o timestamp,id, what `ctdoctor top` runs) in a private netns while entries were inserted (-I), updated (-U) and deleted (-D).\n',
  );
}

/** Sources of the event-log fixtures and their steady rates of new UDP flows (one new entry each). */
const EVENT_LOG_SOURCES = [
  { source: '127.0.0.2', ratePerSecond: 10 },
  { source: '127.0.0.3', ratePerSecond: 20 },
  { source: '127.0.0.4', ratePerSecond: 30 },
] as const;
const EVENT_LOG_SECONDS = 5;

/**
 * Saved `conntrack -E` logs for `analyze`, each written while the three sources above send at their
 * rates (loopback only) for the whole capture, so the rates over the log's span are known. The UDP
 * timeout is lowered in the namespace (a per-namespace sysctl) so DESTROY events flow too, and a
 * few TCP connections open and close so an all-events log holds UPDATEs.
 */
async function captureEventLogs(): Promise<void> {
  const dir = join(FIXTURES, 'event-logs');
  await rm(dir, { recursive: true, force: true });
  for (const [name, options] of [
    ['udp-10-20-30.E-NEW-DESTROY-timestamp-id.txt', ['-e', 'NEW,DESTROY', '-o', 'timestamp,id']],
    ['udp-10-20-30-tcp.E-extended-timestamp.txt', ['-o', 'extended,timestamp']],
    ['udp-10-20-30-tcp.E-extended.txt', ['-o', 'extended']],
  ] as const) {
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_udp_timeout', 2);
      const senders = EVENT_LOG_SOURCES.map(({ source, ratePerSecond }, index) =>
        lab.startWorkload('udp-spread', {
          source,
          rate: ratePerSecond,
          batch: 1,
          seconds: EVENT_LOG_SECONDS + 6,
          count: 10_000,
          offset: index * 10_000,
        }),
      );
      // Steady state first: every sender running and the first entries expiring (2 s timeout).
      await lab.waitFor(async () => (await lab.count()) >= 100, 10_000, 'the senders to start');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const { listener, log } = listenToEvents(lab, options);
      try {
        const churn = lab.startWorkload('tcp-churn', { count: 5, port: 8080 });
        await new Promise((resolve) => setTimeout(resolve, EVENT_LOG_SECONDS * 1000));
        await churn.finished;
      } finally {
        listener.kill('SIGINT');
      }
      await new Promise((resolve) => listener.once('close', resolve));
      for (const sender of senders) sender.child.kill();
      await put(join(dir, name), log());
    }, 'ctdfix');
  }
  const rates = EVENT_LOG_SOURCES.map((row) => `${row.source} ${row.ratePerSecond}/s`).join(', ');
  await put(
    join(dir, 'README'),
    `Captured by scripts/capture-fixtures.ts (event-logs): conntrack -E for ${EVENT_LOG_SECONDS} s in a private netns while three udp-spread senders (${rates}, one new entry per datagram, loopback only) ran for the whole capture, with nf_conntrack_udp_timeout 2 so entries are destroyed too, and tcp-churn opened and closed 5 TCP connections (UPDATE events). The file names say the conntrack -E options: -e NEW,DESTROY -o timestamp,id (what ctdoctor top runs), -o extended,timestamp and -o extended (all events).\n`,
  );
}

const parts = process.argv.slice(2);
const wanted = (part: string) => parts.length === 0 || parts.includes(part);
if (wanted('status')) {
  await captureFullTable();
  await deriveVariants();
}
if (wanted('tables')) await captureTables();
const someTables = parts.find((part) => part.startsWith('tables='));
if (someTables) await captureTables(someTables.slice('tables='.length).split(','));
if (wanted('kmsg')) await captureKernelLog();
if (wanted('events')) await captureEventLog();
if (wanted('event-logs')) await captureEventLogs();
process.stdout.write(`fixtures written to ${FIXTURES}\n`);
