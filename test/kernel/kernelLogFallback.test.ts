import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTool } from '../../src/host/childProcess.js';
import type { DoctorReport } from '../../src/core/reports/doctorReport.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { CLI } from '../support/paths.js';

/**
 * A `dmesg` that prints table-full lines stamped relative to now, as the kernel's syslog buffer
 * does (`<prio>[seconds since boot] message`): one in the initial namespace 2 minutes ago, one
 * 5 s ago, and two naming the test's namespace, 20 s ago (before it existed) and now.
 */
const FAKE_DMESG = `#!/bin/sh
up=$(cut -d' ' -f1 /proc/uptime)
awk -v up="$up" -v ns="$LAB_NETNS_INODE" 'BEGIN {
  printf "<4>[%12.6f] nf_conntrack: nf_conntrack: table full, dropping packet\\n", up - 120
  printf "<4>[%12.6f] nf_conntrack: nf_conntrack: table full in netns %s, dropping packet\\n", up - 20, ns
  printf "<4>[%12.6f] nf_conntrack: nf_conntrack: table full, dropping packet\\n", up - 5
  printf "<4>[%12.6f] nf_conntrack: nf_conntrack: table full in netns %s, dropping packet\\n", up, ns
}'
`;

/** doctor in a private mount namespace whose /dev has no kmsg, so the reader falls back to dmesg. */
function doctorWithoutKmsg(fakeBin: string, inode: number): Promise<string> {
  const script = `mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 && exec "$@"`;
  const argv = [process.execPath, CLI, 'doctor', '--fast', '--json', '--interval', '0.1', '--since', '1'];
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--', 'sh', '-c', script, 'sh', ...argv], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        PATH: `${fakeBin}:${process.env.PATH}`,
        LAB_NETNS_INODE: String(inode),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', () => resolve(stdout));
  });
}

const NEEDED_UPTIME_SECONDS = 130;

describe('kernel log through dmesg (no /dev/kmsg)', () => {
  before(requireKernelLab);

  it('#11.23 dmesg lines keep their times: --since and the inode-reuse guard hold on that path', async () => {
    // A line stamped 2 minutes back needs 2 minutes of uptime: on a VM just booted, wait for them
    // (a skip would let CI pass without the test).
    const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    if (uptimeSeconds < NEEDED_UPTIME_SECONDS) await sleep((NEEDED_UPTIME_SECONDS - uptimeSeconds) * 1000);
    const fakeBin = mkdtempSync(join(tmpdir(), 'ctdoctor-dmesg-'));
    const name = `ctd-dmesg-${process.pid}`;
    try {
      writeFileSync(join(fakeBin, 'dmesg'), FAKE_DMESG);
      chmodSync(join(fakeBin, 'dmesg'), 0o755);
      await runTool('ip', ['netns', 'add', name]);
      const inode = statSync(join('/run/netns', name)).ino;
      const report = JSON.parse(await doctorWithoutKmsg(fakeBin, inode)) as DoctorReport;
      assert.equal(report.kernelLog?.source, 'dmesg');
      // Each line at its own time: the 2-minute-old one is outside --since 1.
      const initial = report.kernelLog?.tableFull.find((entry) => entry.netnsInode === null);
      assert.equal(initial?.messages, 1);
      assert.ok(Date.now() - Date.parse(initial!.last) < 30_000, initial?.last);
      // The line from before the namespace existed may name a dead one with the same inode.
      const lab = report.namespaces.find((ns) => ns.inode === inode);
      assert.equal(lab?.kernelLogMessages, 1);
    } finally {
      await runTool('ip', ['netns', 'delete', name]).catch(() => {});
      rmSync(fakeBin, { recursive: true, force: true });
    }
  });
});
