import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { requireKernelLab } from '../support/kernelLab.js';

const NETLINK_DUMP = new URL('../../src/host/netlinkDump.js', import.meta.url).href;
const ENTRIES = 3000;

interface Dump {
  spool: string | null;
  text: string;
}

interface FailedDump {
  spool: string | null;
  error: string;
}

/**
 * A child that dumps the namespace's table with netlinkDumpChunks and says where it spooled, and
 * what went wrong if the dump failed.
 */
function dumpScript(namespace: string): string {
  return `
    const { netlinkDumpChunks, spoolDirectory } = await import(${JSON.stringify(NETLINK_DUMP)});
    const spool = await spoolDirectory();
    const parts = [];
    try {
      for await (const chunk of netlinkDumpChunks(['nsenter', '--net=/run/netns/${namespace}', '--'])) parts.push(Buffer.from(chunk));
      process.stdout.write(JSON.stringify({ spool, text: Buffer.concat(parts).toString() }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ spool, error: error.message }));
    }`;
}

/** Runs argv, first moved into the cgroup whose cgroup.procs is given (when one is). */
function run(argv: string[], cgroupProcs?: string): Promise<string> {
  const [command, args] = cgroupProcs
    ? ['sh', ['-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', cgroupProcs, ...argv]]
    : [argv[0]!, argv.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')}: ${code} ${err}`)),
    );
  });
}

/** A memory cgroup of `bytes` (v1's memory controller, else v2's), removed afterwards. */
async function withMemoryCgroup<T>(bytes: number, body: (procs: string) => Promise<T>): Promise<T> {
  const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  const dir = join(v1 ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup', `ctdoctor-test-${process.pid}`);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(bytes));
    return await body(join(dir, 'cgroup.procs'));
  } finally {
    rmdirSync(dir);
  }
}

/** The dump's lines without their timeout (it counts down between two dumps), sorted. */
function comparable(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.replace(/^(\S+\s+\d+\s+\S+\s+\d+\s+)\d+/, '$1T'))
    .sort();
}

async function fill(lab: LabNamespace): Promise<void> {
  const lines = Array.from(
    { length: ENTRIES },
    (_, i) => `-I -s 10.9.${i >> 8}.${i & 255} -d 127.0.0.1 -p udp --sport ${1024 + i} --dport 53 -t 600`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-netlink-test-'));
  try {
    writeFileSync(join(dir, 'entries'), `${lines.join('\n')}\n`);
    await lab.execChecked('conntrack', ['-R', join(dir, 'entries')]);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe('the netlink dump', () => {
  before(requireKernelLab);

  it('spools into /dev/shm when memory allows, uses a FIFO in a 128 MB cgroup, and both give conntrack -L -o extended', async () => {
    await withLabNamespace(async (lab) => {
      await fill(lab);
      const expected = comparable(await lab.execChecked('conntrack', ['-L', '-o', 'extended']));
      assert.equal(expected.length, ENTRIES);
      // A file, not -e: the reader's worker threads inherit node's flags, and --input-type breaks them.
      const scriptDir = mkdtempSync(join(tmpdir(), 'ctdoctor-netlink-test-'));
      try {
        const scriptFile = join(scriptDir, 'dump.mjs');
        writeFileSync(scriptFile, dumpScript(lab.name));
        const free = JSON.parse(await run([process.execPath, scriptFile])) as Dump;
        assert.equal(free.spool, '/dev/shm');
        assert.deepEqual(comparable(free.text), expected);
        // nf_conntrack_max × 400 B is ~105 MB at 262144: twice that does not fit in 128 MB.
        const limited = JSON.parse(
          await withMemoryCgroup(128 << 20, (procs) => run([process.execPath, scriptFile], procs)),
        ) as Dump;
        assert.equal(limited.spool, null);
        assert.deepEqual(comparable(limited.text), expected);
      } finally {
        rmSync(scriptDir, { recursive: true });
      }
    });
  });

  it('fails, naming the full tmpfs, when /dev/shm fills up during the dump instead of returning part of the table', async () => {
    await withLabNamespace(async (lab) => {
      await fill(lab);
      const scriptDir = mkdtempSync(join(tmpdir(), 'ctdoctor-netlink-test-'));
      try {
        const scriptFile = join(scriptDir, 'dump.mjs');
        writeFileSync(scriptFile, dumpScript(lab.name));
        // A 64 KiB /dev/shm of its own passes the room check for nf_conntrack_max = 100 (40 KB),
        // and the 3,000 entries already in the table (~570 KB) do not fit in it: as if another
        // process had filled /dev/shm during the dump. conntrack still exits 0.
        const failed = (await withGlobalMax(100, async () =>
          JSON.parse(
            await run([
              'unshare',
              '-m',
              'sh',
              '-c',
              'mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "$@"',
              'sh',
              process.execPath,
              scriptFile,
            ]),
          ),
        )) as FailedDump;
        assert.equal(failed.spool, '/dev/shm');
        assert.match(
          failed.error,
          /^the netlink dump was cut short: conntrack showed 3000 entries, \d+ arrived; \/dev\/shm filled up during the dump/,
        );
      } finally {
        rmSync(scriptDir, { recursive: true });
      }
    });
  });
});
