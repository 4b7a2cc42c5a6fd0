import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CtdoctorError } from '../core/errors.js';
import { type Collected, collect } from '../collectors/collector.js';
import { enteredNamespaceSample } from '../collectors/conntrackSample.js';
import { hostFacts } from '../collectors/hostFacts.js';
import { statCounters } from '../collectors/statCounters.js';
import { tableSize } from '../collectors/tableSize.js';
import type { StatCounters } from '../host/conntrackSample.js';
import { IP_NETNS_DIR, type NetnsTarget, resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { type NetnsInodeEntry, listNetnsInodes } from '../host/netnsInodes.js';
import { listNetworkNamespaces } from '../host/netnsInventory.js';
import { startNamespaceHolder } from '../host/nsenter.js';
import { type HostRoots, isLiveProc } from '../host/roots.js';
import { mapLimited } from './mapLimited.js';
import { type InventoryListing, NamespaceInventory } from './namespaceInventory.js';
import { NamespaceReaders } from './namespaceReaders.js';
import type { CollectorOutcome, NamespaceReading, ServeSample } from './serveSample.js';

/**
 * Namespaces read at once: a read is one /proc/PID/net file, but without the stat file it is a
 * netlink `conntrack -S` child entered into the namespace, and 500 of those at once would be a fork
 * storm on a busy node.
 */
const NAMESPACE_READS_IN_FLIGHT = 16;

/** What one sample needs to know of where it reads. */
export interface SamplerSource {
  roots: HostRoots;
  /** The running kernel (netlink and other namespaces are readable), not a --proc-root tree. */
  live: boolean;
}

export function samplerSourceOf(roots: HostRoots): SamplerSource {
  return { roots, live: isLiveProc(roots) };
}

function outcomeOf(collector: string, readings: readonly Collected<unknown>[]): CollectorOutcome {
  const failed = readings.find((reading) => !reading.ok);
  return {
    collector,
    ok: failed === undefined,
    durationSeconds: readings.reduce((sum, reading) => sum + reading.durationMs, 0) / 1000,
    message: failed && !failed.ok ? failed.message : undefined,
  };
}

/**
 * No stat file and no netlink (a --proc-root tree of a kernel without CONFIG_NF_CONNTRACK_PROCFS) is
 * data to the collector, but to a scraper it is the counters collector failing: only that one.
 */
function countersOutcome(counters: Collected<StatCounters>): CollectorOutcome {
  const outcome = outcomeOf('stat counters', [counters]);
  if (!counters.ok || counters.data.stats) return outcome;
  return { ...outcome, ok: false, message: counters.data.statsUnavailable };
}

/**
 * A listing that was refused some processes' namespaces read what it could, but to a scraper the
 * collector did not see everything: it fails, with the fix, and the rest is still served.
 */
function namespacesOutcome(listed: Collected<InventoryListing>): CollectorOutcome {
  const outcome = outcomeOf('namespaces', [listed]);
  if (!listed.ok || listed.data.deniedProcesses === 0) return outcome;
  return {
    ...outcome,
    ok: false,
    message: `the network namespaces of ${listed.data.deniedProcesses} processes are unreadable (permission denied), so a namespace only they are in is not watched: not root, serve needs CAP_SYS_PTRACE to read them (deploy/systemd gives it); as root, a security module or sandbox hides them`,
  };
}

/** What the sampler reads another namespace through: a process in it, or ctdoctor's holder. */
interface OtherNamespace {
  target: NetnsTarget;
  /** Why there is no process to read it through (its holder could not start). */
  unreadable: string | undefined;
}

/**
 * Every namespace but ctdoctor's own: the stat file gives its count and counters (max and buckets
 * are the host's). A namespace that vanished between the listing and the read is simply not in the
 * sample (its series retire), not a collector failure.
 */
async function otherNamespaces(
  source: SamplerSource,
  others: OtherNamespace[],
  listing: InventoryListing,
  global: { max: number; buckets: number },
): Promise<{ readings: NamespaceReading[]; collected: Collected<unknown>[] }> {
  const samples = await mapLimited(others, NAMESPACE_READS_IN_FLIGHT, async ({ target, unreadable }) => {
    // A stat file is read at once (netnsFiles.ts): a turn of the event loop before each lets a
    // scrape in between, so it waits for at most one read per namespace in flight, not for all.
    await nextTurn();
    return unreadable === undefined
      ? enteredNamespaceSample(netnsFiles(target, source.roots), global, source.live)
      : collect('conntrack sample', () => Promise.reject(new CtdoctorError('permission', unreadable)));
  });
  const readings: NamespaceReading[] = [];
  const collected: Collected<unknown>[] = [];
  samples.forEach((sample, i) => {
    const { target } = others[i]!;
    if (!sample.ok && sample.reason === 'absent') return;
    collected.push(sample);
    if (!sample.ok) return;
    readings.push({
      inode: target.inode,
      initial: target.initial,
      name: target.name,
      workload: listing.workloads.get(target.inode),
      entries: sample.data.count,
      max: sample.data.max,
      buckets: sample.data.buckets,
      counters: sample.data.stats?.totals ?? {},
      tableFullMessages: 0,
    });
  });
  return { readings, collected };
}

const NO_NAMESPACES: InventoryListing = { namespaces: [], workloads: new Map(), deniedProcesses: 0 };

/**
 * Takes the samples of a running `serve`: it keeps the namespace inventory (identity read seldom)
 * and one holder process per process-less namespace between samples, so that a sample forks nothing.
 * close() kills the holders.
 */
export class Sampler {
  private readonly inventory: NamespaceInventory;
  private readonly readers = new NamespaceReaders((bound) =>
    startNamespaceHolder({ ...bound, initial: false, isSelf: false }),
  );

  /** The latest sample's namespaces, as they were read (for the watchers that read more of them). */
  private targets = new Map<number, NetnsTarget>();

  constructor(private readonly source: SamplerSource) {
    this.inventory = new NamespaceInventory({
      listInodes: (excluded) => listNetnsInodes(source.roots, excluded),
      listWithIdentity: () => listNetworkNamespaces(source.roots),
    });
  }

  /** The holders' pids (for the tests: none must outlive its namespace). */
  holderPids(): Set<number> {
    return this.readers.pids();
  }

  /** Every namespace but `selfInode`, with what to read it through: first the holders are synced to the process-less ones. */
  private async readersFor(listing: InventoryListing, selfInode: number): Promise<OtherNamespace[]> {
    const others = listing.namespaces.filter((entry) => entry.inode !== selfInode);
    const failures = await this.readers.sync(this.readers.wantedAmong(others));
    return others.map((entry) => ({ target: this.targetOf(entry), unreadable: failures.get(entry.inode) }));
  }

  private targetOf(entry: NetnsInodeEntry): NetnsTarget {
    const pid = this.readers.readerPid(entry);
    const name = entry.names[0];
    return {
      path: name !== undefined ? join(IP_NETNS_DIR, name) : `/proc/${pid}/ns/net`,
      inode: entry.inode,
      initial: entry.initial,
      isSelf: false,
      ...(name !== undefined ? { name } : {}),
      ...(pid !== undefined ? { pid } : {}),
    };
  }

  /** The latest sample's namespaces by inode, with what to read each through. */
  sampledTargets(): ReadonlyMap<number, NetnsTarget> {
    return this.targets;
  }

  /** One sample of every namespace's table size and counters, with how each collector did. */
  async take(): Promise<ServeSample> {
    const { source } = this;
    const started = performance.now();
    const takenAtMs = Date.now();
    const self = await resolveNetns(undefined, source.roots);
    const files = netnsFiles(self, source.roots);
    const [facts, size, counters, listed] = await Promise.all([
      hostFacts(source.roots),
      tableSize(files),
      statCounters(files, { source: 'auto', netlinkAllowed: source.live }),
      collect('namespaces', async () =>
        source.live ? this.inventory.list(this.readers.pids()) : NO_NAMESPACES,
      ),
    ]);
    const listing = listed.ok ? listed.data : NO_NAMESPACES;
    const namespaces: NamespaceReading[] = [];
    const collectors = [
      outcomeOf('host facts', [facts]),
      outcomeOf('table size', [size]),
      countersOutcome(counters),
      namespacesOutcome(listed),
    ];
    if (size.ok) {
      const own = counters.ok ? counters.data.stats : undefined;
      namespaces.push({
        inode: self.inode,
        initial: self.initial,
        name: listing.namespaces.find((entry) => entry.inode === self.inode)?.names[0],
        workload: listing.workloads.get(self.inode),
        entries: size.data.count ?? own?.entries ?? 0,
        max: size.data.max,
        buckets: size.data.buckets,
        counters: own?.totals ?? {},
        tableFullMessages: 0,
      });
      const others = await this.readersFor(listing, self.inode);
      this.targets = new Map([self, ...others.map(({ target }) => target)].map((t) => [t.inode, t]));
      const read = await otherNamespaces(source, others, listing, size.data);
      namespaces.push(...read.readings);
      collectors.push(outcomeOf('other namespaces', read.collected));
    }
    return {
      takenAtMs,
      durationSeconds: (performance.now() - started) / 1000,
      entrySize: facts.ok ? facts.data.entrySize : undefined,
      namespaces,
      collectors,
      drift: [],
    };
  }

  close(): void {
    this.readers.close();
  }
}
