/**
 * Captures fixture trees from the real kernel (run as root: `npm run build && node dist/scripts/capture-fixtures.js`).
 * Every fixture under test/fixtures comes from here; none is typed by hand. Variants that this kernel
 * cannot produce (an older stat header, procfs compiled out, conntrack not loaded) are derived from a
 * real capture by the smallest edit that models them, and say so in their README.
 */
import { mkdir, rm, writeFile, readFile, copyFile, cp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withGlobalMax } from '../src/lab/globalMax.js';
import { type LabNamespace, withLabNamespace } from '../src/lab/labNamespace.js';

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

await captureFullTable();
await deriveVariants();
process.stdout.write(`fixtures written to ${FIXTURES}\n`);
