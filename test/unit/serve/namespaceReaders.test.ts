import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NamespaceHolder } from '../../../src/host/nsenter.js';
import { type BoundNamespace, NamespaceReaders } from '../../../src/daemon/namespaceReaders.js';

/** Holders that only record their life: which namespaces got one, which were killed. */
function fakeHolders(failFor = new Set<number>()) {
  const started: number[] = [];
  const live = new Map<number, { inode: number; dead: boolean }>();
  let nextPid = 1000;
  const start = async (namespace: BoundNamespace): Promise<NamespaceHolder> => {
    if (failFor.has(namespace.inode)) throw new Error(`cannot enter ${namespace.path}`);
    started.push(namespace.inode);
    const pid = nextPid++;
    const state = { inode: namespace.inode, dead: false };
    live.set(pid, state);
    return {
      pid,
      kill: () => {
        state.dead = true;
        live.delete(pid);
      },
      alive: () => !state.dead,
    };
  };
  const liveInodes = () => [...live.values()].map((h) => h.inode).sort();
  return { start, started, live, liveInodes };
}

const bound = (...inodes: number[]): BoundNamespace[] =>
  inodes.map((inode) => ({ inode, path: `/run/netns/ns${inode}` }));

describe('the namespace holders of serve', () => {
  it('starts one holder per process-less namespace, once, and reads it through that pid', async () => {
    const holders = fakeHolders();
    const readers = new NamespaceReaders(holders.start);
    await readers.sync(bound(1, 2));
    await readers.sync(bound(1, 2));
    assert.deepEqual(holders.started, [1, 2]);
    assert.equal(readers.pidOf(1), [...holders.live].find(([, h]) => h.inode === 1)![0]);
    assert.deepEqual([...readers.pids()].sort(), [...holders.live.keys()].sort());
  });

  it('kills the holder of a namespace no longer listed (ip netns delete), so it cannot keep it alive', async () => {
    const holders = fakeHolders();
    const readers = new NamespaceReaders(holders.start);
    await readers.sync(bound(1, 2, 3));
    await readers.sync(bound(1, 3));
    assert.deepEqual(holders.liveInodes(), [1, 3]);
    assert.equal(readers.pidOf(2), undefined);
  });

  it('starts a holder again when it died', async () => {
    const holders = fakeHolders();
    const readers = new NamespaceReaders(holders.start);
    await readers.sync(bound(1));
    const first = readers.pidOf(1)!;
    holders.live.get(first)!.dead = true;
    await readers.sync(bound(1));
    assert.notEqual(readers.pidOf(1), first);
    assert.deepEqual(holders.started, [1, 1]);
  });

  it('reports a holder that cannot start, and tries again at the next sync', async () => {
    const failFor = new Set([2]);
    const holders = fakeHolders(failFor);
    const readers = new NamespaceReaders(holders.start);
    const failures = await readers.sync(bound(1, 2));
    assert.deepEqual([...failures], [[2, 'cannot enter /run/netns/ns2']]);
    failFor.clear();
    assert.equal((await readers.sync(bound(1, 2))).size, 0);
    assert.deepEqual(holders.liveInodes(), [1, 2]);
  });

  it('kills every holder on close, including one that finished starting after it', async () => {
    const holders = fakeHolders();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const readers = new NamespaceReaders(async (namespace) => {
      if (namespace.inode === 2) await gate;
      return holders.start(namespace);
    });
    await readers.sync(bound(1));
    const syncing = readers.sync(bound(1, 2));
    readers.close();
    release();
    await syncing;
    assert.deepEqual(holders.liveInodes(), []);
    assert.equal((await readers.sync(bound(3))).size, 0);
    assert.deepEqual(holders.liveInodes(), [], 'no holder starts after close');
  });
});
