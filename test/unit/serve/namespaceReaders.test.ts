import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetnsInodeEntry } from '../../../src/host/netnsInodes.js';
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

  it('keeps a holder while a process visits its namespace, and reads through the holder, not the visitor', async () => {
    const holders = fakeHolders();
    const readers = new NamespaceReaders(holders.start);
    const entry = (pid: number | null): NetnsInodeEntry => ({
      inode: 1,
      initial: false,
      pid,
      names: ['ns1'],
    });
    await readers.sync(readers.wantedAmong([entry(null)]));
    const holder = readers.pidOf(1)!;
    // An nsenter read (or an `ip netns exec`) is in the namespace for a moment.
    const visited = [entry(4242)];
    await readers.sync(readers.wantedAmong(visited));
    assert.equal(readers.pidOf(1), holder, 'the holder lives on');
    assert.equal(readers.readerPid(visited[0]!), holder);
    assert.deepEqual(holders.started, [1]);
    // A namespace with a process of its own and no holder gets none, and is read through that process.
    const busy: NetnsInodeEntry = { inode: 2, initial: false, pid: 777, names: ['ns2'] };
    assert.deepEqual(readers.wantedAmong([busy]), []);
    assert.equal(readers.readerPid(busy), 777);
    // Unnamed (no /run/netns file): nothing to enter, never a holder.
    assert.deepEqual(readers.wantedAmong([{ inode: 3, initial: false, pid: null, names: [] }]), []);
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
