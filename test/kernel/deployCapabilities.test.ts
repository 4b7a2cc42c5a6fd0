import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { startServe } from '../support/serve.js';
import { serveUnitCapabilities } from '../support/serveUnit.js';

/** Debian's `nobody`: a user with no rights of its own, as the unit's DynamicUser= is. */
const UNPRIVILEGED_ID = 65534;

/** setpriv's argv that runs a command as `nobody` holding exactly `capabilities` (as the unit does). */
function asNobodyWith(capabilities: string[]): string[] {
  const set = ['-all', ...capabilities.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  return [
    'setpriv',
    `--reuid=${UNPRIVILEGED_ID}`,
    `--regid=${UNPRIVILEGED_ID}`,
    '--clear-groups',
    '--no-new-privs',
    `--inh-caps=${set}`,
    `--ambient-caps=${set}`,
    `--bounding-set=${set}`,
  ];
}

/** Processes whose /proc/PID/ns/net even this test (root) may not read. */
function deniedToRoot(): number {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        readlinkSync(`/proc/${pid}/ns/net`);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EACCES';
      }
    }).length;
}

async function sampleTimestamp(url: string): Promise<{ metrics: string; seconds: number }> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return {
    metrics,
    seconds: Number(/^ctdoctor_sample_timestamp_seconds (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN),
  };
}

/** The inodes in /metrics of `serve` run with `capabilities`, a second after its first sample. */
async function inodesSeenWith(capabilities: string[]): Promise<{ inodes: string; stderr: string }> {
  const serve = await startServe(
    ['--listen', '127.0.0.1:0', '--interval', '0.5'],
    asNobodyWith(capabilities),
  );
  try {
    let first = Number.NaN;
    let latest = { metrics: '', seconds: Number.NaN };
    await eventually('a sample', async () => {
      first = (await sampleTimestamp(serve.url)).seconds;
      return Number.isFinite(first);
    });
    // Two more samples: a namespace found late (the holder starts at the first) is in by then.
    await eventually('two more samples', async () => {
      latest = await sampleTimestamp(serve.url);
      return latest.seconds >= first + 1;
    });
    const inodes = [...latest.metrics.matchAll(/^ctdoctor_conntrack_entries\{netns="(\w+)"/gm)].map(
      (m) => m[1],
    );
    return { inodes: inodes.join(' '), stderr: serve.stderr() };
  } finally {
    assert.equal(await serve.stop(), 0);
  }
}

describe("deploy/systemd's capabilities, held against the real kernel", () => {
  before(requireKernelLab);

  it("are enough to read an `ip netns` namespace and a root process's namespace, and each is needed", {
    timeout: 60_000,
  }, async () => {
    await withLabNamespace(async (lab) => {
      // A namespace only a root process holds: no /run/netns file, seen only through /proc/PID/ns/net.
      const holder = spawn('unshare', ['--net', '--', 'sleep', '60'], { stdio: 'ignore' });
      try {
        let processInode = '';
        await eventually('the unshared namespace', () => {
          processInode = String(statSync(`/proc/${holder.pid}/ns/net`).ino);
          return processInode !== String(statSync('/proc/self/ns/net').ino);
        });
        const unit = serveUnitCapabilities();
        const all = await inodesSeenWith(unit);
        assert.match(all.inodes, new RegExp(`\\b${lab.inode}\\b`), all.stderr);
        assert.match(all.inodes, new RegExp(`\\b${processInode}\\b`), all.stderr);

        const noAdmin = await inodesSeenWith(unit.filter((c) => c !== 'CAP_SYS_ADMIN'));
        assert.doesNotMatch(noAdmin.inodes, new RegExp(`\\b${lab.inode}\\b`));
        assert.match(noAdmin.stderr, new RegExp(`cannot enter network namespace /run/netns/${lab.name}`));

        const noPtrace = await inodesSeenWith(unit.filter((c) => c !== 'CAP_SYS_PTRACE'));
        assert.doesNotMatch(noPtrace.inodes, new RegExp(`\\b${processInode}\\b`));
        assert.match(noPtrace.inodes, new RegExp(`\\b${lab.inode}\\b`));
        // Not silently: the namespaces collector says what it could not see and what fixes it. With
        // the unit's capabilities it is denied only what root is (this VM's init hides its links).
        const denied = (stderr: string) =>
          Number(
            /the network namespaces of (\d+) processes are unreadable \(permission denied\).*CAP_SYS_PTRACE/.exec(
              stderr,
            )?.[1] ?? 0,
          );
        assert.equal(denied(all.stderr), deniedToRoot(), all.stderr);
        assert.ok(denied(noPtrace.stderr) > deniedToRoot(), noPtrace.stderr);
      } finally {
        holder.kill('SIGKILL');
      }
    });
  });
});
