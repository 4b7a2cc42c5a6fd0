import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { startServe } from '../support/serve.js';

/** Process-less namespaces: more than the 16 reads in flight, as a node with many `ip netns` has. */
const NAMESPACES = 60;

const entriesOf = (text: string, inode: number, name: string) => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`ctdoctor_conntrack_entries{netns="${inode}",netns_name="${name}"} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

/** Processes whose network namespace is one of `inodes` (a holder left behind would be one). */
function processesIn(inodes: ReadonlySet<number>): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return inodes.has(Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]));
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((child) => {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('serve with many process-less namespaces (real kernel)', () => {
  before(requireKernelLab);

  it('reads each one through a holder, and retires a deleted one at once, leaving no holder or namespace', async () => {
    const names = Array.from({ length: NAMESPACES }, (_, i) => `ctd-s2-${process.pid}-${i}`);
    const expected = new Map<string, number>();
    try {
      for (const [i, name] of names.entries()) {
        execFileSync('ip', ['netns', 'add', name]);
        execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
        // ctnetlink inserts count without any traffic or rule; the command exits, the namespace
        // is left with no process (only its /run/netns bind mount).
        const entries = i % 4;
        for (let k = 1; k <= entries; k++) {
          execFileSync(
            'ip',
            [
              ...['netns', 'exec', name, 'conntrack', '-I', '-p', 'udp', '-s', '127.0.0.1'],
              ...['-d', `127.0.0.${k + 1}`, '--sport', '1000', '--dport', '2000', '-t', '600'],
            ],
            { stdio: 'ignore' },
          );
        }
        expected.set(name, entries);
      }
      const inodes = new Map(names.map((name) => [name, statSync(`/run/netns/${name}`).ino]));
      const serve = await startServe(['--listen', '127.0.0.1:0', '--interval', '1']);
      try {
        await eventually('every namespace with its count', async () => {
          const text = await (await fetch(`${serve.url}/metrics`)).text();
          return names.every((name) => entriesOf(text, inodes.get(name)!, name) === expected.get(name));
        });
        const text = await (await fetch(`${serve.url}/metrics`)).text();
        assert.match(text, /^ctdoctor_collector_success\{collector="other namespaces"\} 1$/m);
        assert.equal(childrenOf(serve.pid).length, NAMESPACES, 'one holder per namespace, no more');

        // A process visiting a held namespace (an `ip netns exec`, serve's own nsenter read) for
        // two samples leaves every holder as it was: killing one broke readings through it.
        const holders = new Set(childrenOf(serve.pid));
        const visitor = spawn('ip', ['netns', 'exec', names[1]!, 'sleep', '30'], { stdio: 'ignore' });
        try {
          const sampleAt = async () =>
            Number(
              /^ctdoctor_sample_timestamp_seconds (\S+)$/m.exec(
                await (await fetch(`${serve.url}/metrics`)).text(),
              )?.[1],
            );
          const visitedFrom = Date.now() / 1000 + 0.5;
          await eventually(
            'two samples with the visitor in',
            async () => (await sampleAt()) > visitedFrom + 1,
          );
          assert.deepEqual(new Set(childrenOf(serve.pid)), holders, 'the same holders');
        } finally {
          visitor.kill('SIGKILL');
        }

        const deleted = names.filter((_, i) => i % 2 === 0);
        for (const name of deleted) execFileSync('ip', ['netns', 'delete', name]);
        const deletedInodes = new Set(deleted.map((name) => inodes.get(name)!));
        await eventually(
          'the deleted namespaces to be gone with their series',
          async () => {
            const now = await (await fetch(`${serve.url}/metrics`)).text();
            return (
              deleted.every((name) => entriesOf(now, inodes.get(name)!, name) === undefined) &&
              processesIn(deletedInodes).length === 0
            );
          },
          5_000,
        );
        const now = await (await fetch(`${serve.url}/metrics`)).text();
        const kept = names.filter((name) => !deleted.includes(name));
        for (const name of kept) assert.equal(entriesOf(now, inodes.get(name)!, name), expected.get(name));
        assert.equal(childrenOf(serve.pid).length, kept.length);
        assert.equal(await serve.stop(), 0);
        assert.deepEqual(processesIn(new Set(inodes.values())), [], 'no holder outlives serve');
      } finally {
        await serve.stop();
      }
    } finally {
      for (const name of names) {
        try {
          execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
        } catch {
          // already deleted by the test, or never created
        }
      }
    }
  });
});
