import type { WorkloadIdentity } from '../core/doctor/workloadIdentity.js';
import type { NetnsInfo } from '../core/networkNamespace.js';
import type { NetnsInodeEntry, NetnsInodeListing } from '../host/netnsInodes.js';

/**
 * Samples between two reads of every process's cgroup and cmdline (5 min at the default 5 s): a
 * namespace's workload rarely changes while its inode lives, and a new inode triggers a read at once.
 */
export const IDENTITY_REFRESH_SAMPLES = 60;

/** The two listings: the cheap one every sample, the full one (with workload identity) seldom. */
export interface InventorySource {
  listInodes(excludedPids: ReadonlySet<number>): Promise<NetnsInodeListing>;
  listWithIdentity(): Promise<NetnsInfo[]>;
}

export interface InventoryListing {
  namespaces: NetnsInodeEntry[];
  /** The container or pod a namespace's processes belong to, when their cgroup names one. */
  workloads: ReadonlyMap<number, WorkloadIdentity>;
  /** Processes whose namespace the listing was not allowed to see (NetnsInodeListing). */
  deniedProcesses: number;
}

/**
 * The first process whose cgroup names a container or a pod speaks for the namespace; never one of
 * ctdoctor's holders, whose cgroup is ctdoctor's (its own pod, in a DaemonSet).
 */
function workloadOf(info: NetnsInfo, excludedPids: ReadonlySet<number>): WorkloadIdentity | undefined {
  return info.processes.find(
    (p) => !excludedPids.has(p.pid) && (p.workload.runtime !== null || p.workload.podUid !== null),
  )?.workload;
}

/**
 * The namespaces of each sample: their inodes every time, their workload identity only when an
 * inode not seen before appears or every IDENTITY_REFRESH_SAMPLES samples (reading every process's
 * cgroup and cmdline was most of a sample's 74 ms on a host of 104 processes).
 */
export class NamespaceInventory {
  private known = new Set<number>();
  private workloads = new Map<number, WorkloadIdentity>();
  private samplesSinceRefresh = 0;
  /** How many times identity was read (for the tests and the bench). */
  refreshes = 0;

  constructor(
    private readonly source: InventorySource,
    private readonly refreshEverySamples = IDENTITY_REFRESH_SAMPLES,
  ) {}

  async list(excludedPids: ReadonlySet<number>): Promise<InventoryListing> {
    const { byInode, deniedProcesses } = await this.source.listInodes(excludedPids);
    this.samplesSinceRefresh++;
    const unseen = [...byInode.keys()].some((inode) => !this.known.has(inode));
    if (unseen || this.refreshes === 0 || this.samplesSinceRefresh >= this.refreshEverySamples) {
      await this.refresh(excludedPids);
    }
    // A dead namespace's inode may be reused by a new one: forget it while it is gone.
    for (const inode of this.known) {
      if (!byInode.has(inode)) {
        this.known.delete(inode);
        this.workloads.delete(inode);
      }
    }
    for (const inode of byInode.keys()) this.known.add(inode);
    return { namespaces: [...byInode.values()], workloads: this.workloads, deniedProcesses };
  }

  private async refresh(excludedPids: ReadonlySet<number>): Promise<void> {
    const infos = await this.source.listWithIdentity();
    this.workloads = new Map();
    for (const info of infos) {
      const workload = workloadOf(info, excludedPids);
      if (workload) this.workloads.set(info.inode, workload);
    }
    this.samplesSinceRefresh = 0;
    this.refreshes++;
  }
}
