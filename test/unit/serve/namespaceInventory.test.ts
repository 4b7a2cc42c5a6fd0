import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkloadIdentity } from '../../../src/core/doctor/workloadIdentity.js';
import type { NetnsInfo } from '../../../src/core/networkNamespace.js';
import type { NetnsInodeEntry } from '../../../src/host/netnsInodes.js';
import { NamespaceInventory } from '../../../src/daemon/namespaceInventory.js';

const POD: WorkloadIdentity = {
  runtime: 'containerd',
  containerId: '0123456789ab',
  podUid: '11111111-2222-3333-4444-555555555555',
};
const NONE: WorkloadIdentity = { runtime: null, containerId: null, podUid: null };

/** A host whose namespaces (inode → the pids in it, with their workload) the test changes. */
function fakeHost(
  namespaces: Map<number, { pid: number; workload: WorkloadIdentity }[]>,
  deniedProcesses = 0,
) {
  let fullReads = 0;
  const source = {
    async listInodes(excluded: ReadonlySet<number>) {
      const byInode = new Map<number, NetnsInodeEntry>();
      for (const [inode, processes] of namespaces) {
        const pid = processes.find((p) => !excluded.has(p.pid))?.pid ?? null;
        byInode.set(inode, { inode, initial: false, pid, names: [] });
      }
      return { byInode, deniedProcesses };
    },
    async listWithIdentity(): Promise<NetnsInfo[]> {
      fullReads++;
      return [...namespaces].map(([inode, processes]) => ({
        inode,
        initial: false,
        names: [],
        path: `/proc/${processes[0]?.pid}/ns/net`,
        pid: processes[0]?.pid ?? null,
        processes: processes.map((p) => ({ pid: p.pid, command: 'x', workload: p.workload })),
        existsSinceMs: null,
      }));
    },
  };
  return { source, fullReads: () => fullReads };
}

describe('the namespace inventory of serve', () => {
  it('passes on how many processes it was not allowed to see, every sample', async () => {
    const inventory = new NamespaceInventory(
      fakeHost(new Map([[10, [{ pid: 100, workload: NONE }]]]), 3).source,
    );
    assert.equal((await inventory.list(new Set())).deniedProcesses, 3);
    assert.equal((await inventory.list(new Set())).deniedProcesses, 3);
  });

  it('reads workload identity at the first sample, then only every N samples while no inode is new', async () => {
    const host = fakeHost(new Map([[10, [{ pid: 100, workload: POD }]]]));
    const inventory = new NamespaceInventory(host.source, 4);
    for (let i = 0; i < 4; i++) {
      const listing = await inventory.list(new Set());
      assert.deepEqual(listing.workloads.get(10), POD);
    }
    assert.equal(host.fullReads(), 1);
    await inventory.list(new Set());
    assert.equal(host.fullReads(), 2, '4 samples after the read, identity is read again');
  });

  it('reads identity at once when a namespace appears, and forgets a namespace that is gone', async () => {
    const namespaces = new Map([[10, [{ pid: 100, workload: NONE }]]]);
    const host = fakeHost(namespaces);
    const inventory = new NamespaceInventory(host.source, 1000);
    await inventory.list(new Set());
    namespaces.set(20, [{ pid: 200, workload: POD }]);
    const listing = await inventory.list(new Set());
    assert.equal(host.fullReads(), 2);
    assert.deepEqual(listing.workloads.get(20), POD);
    assert.equal(listing.workloads.has(10), false, 'no container named: no workload');
    namespaces.delete(20);
    assert.equal((await inventory.list(new Set())).workloads.has(20), false);
    // The inode comes back (reused by a new namespace): that is a new namespace, read at once.
    namespaces.set(20, [{ pid: 300, workload: NONE }]);
    assert.equal((await inventory.list(new Set())).workloads.has(20), false);
    assert.equal(host.fullReads(), 3);
  });

  it("never takes a holder's cgroup (ctdoctor's own pod) for the namespace's workload", async () => {
    const host = fakeHost(new Map([[10, [{ pid: 900, workload: POD }]]]));
    const listing = await new NamespaceInventory(host.source).list(new Set([900]));
    assert.equal(listing.namespaces[0]!.pid, null);
    assert.equal(listing.workloads.has(10), false);
  });
});
