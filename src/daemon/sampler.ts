import type { NetnsInfo } from '../core/networkNamespace.js';
import { type Collected, collect } from '../collectors/collector.js';
import { enteredNamespaceSample } from '../collectors/conntrackSample.js';
import { targetOf } from '../collectors/doctorProbe.js';
import { hostFacts } from '../collectors/hostFacts.js';
import { networkNamespaces } from '../collectors/namespaces.js';
import { statCounters } from '../collectors/statCounters.js';
import { tableSize } from '../collectors/tableSize.js';
import type { StatCounters } from '../host/conntrackSample.js';
import { type NetnsTarget, resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { type HostRoots, isLiveProc } from '../host/roots.js';
import type { CollectorOutcome, NamespaceReading, ServeSample } from './serveSample.js';

/**
 * Namespaces read at once: each other namespace may cost an nsenter child (one without a process
 * to read /proc/PID/net through), and 500 of them at once would be a fork storm on a busy node.
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

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Every namespace but ctdoctor's own: the stat file gives its count and counters (max and buckets
 * are the host's). A namespace that vanished between the listing and the read is simply not in the
 * sample (its series retire), not a collector failure.
 */
async function otherNamespaces(
  source: SamplerSource,
  targets: NetnsTarget[],
  global: { max: number; buckets: number },
): Promise<{ readings: NamespaceReading[]; collected: Collected<unknown>[] }> {
  const samples = await mapLimited(targets, NAMESPACE_READS_IN_FLIGHT, (target) =>
    enteredNamespaceSample(netnsFiles(target, source.roots), global, source.live),
  );
  const readings: NamespaceReading[] = [];
  const collected: Collected<unknown>[] = [];
  samples.forEach((sample, i) => {
    const target = targets[i]!;
    if (!sample.ok && sample.reason === 'absent') return;
    collected.push(sample);
    if (!sample.ok) return;
    readings.push({
      inode: target.inode,
      initial: target.initial,
      name: target.name,
      entries: sample.data.count,
      max: sample.data.max,
      buckets: sample.data.buckets,
      counters: sample.data.stats?.totals ?? {},
    });
  });
  return { readings, collected };
}

/** One sample of every namespace's table size and counters, with how each collector did. */
export async function takeSample(source: SamplerSource): Promise<ServeSample> {
  const started = performance.now();
  const takenAtMs = Date.now();
  const self = await resolveNetns(undefined, source.roots);
  const files = netnsFiles(self, source.roots);
  const [facts, size, counters, listed] = await Promise.all([
    hostFacts(source.roots),
    tableSize(files),
    statCounters(files, { source: 'auto', netlinkAllowed: source.live }),
    source.live ? networkNamespaces(source.roots) : collect('namespaces', async () => [] as NetnsInfo[]),
  ]);
  const namespaces: NamespaceReading[] = [];
  const collectors = [
    outcomeOf('host facts', [facts]),
    outcomeOf('table size', [size]),
    countersOutcome(counters),
    outcomeOf('namespaces', [listed]),
  ];
  if (size.ok) {
    const own = counters.ok ? counters.data.stats : undefined;
    namespaces.push({
      inode: self.inode,
      initial: self.initial,
      name: listed.ok ? listed.data.find((info) => info.inode === self.inode)?.names[0] : undefined,
      entries: size.data.count ?? own?.entries ?? 0,
      max: size.data.max,
      buckets: size.data.buckets,
      counters: own?.totals ?? {},
    });
    const others = (listed.ok ? listed.data : []).filter((info) => info.inode !== self.inode);
    const read = await otherNamespaces(
      source,
      others.map((info) => targetOf(info, self)),
      size.data,
    );
    namespaces.push(...read.readings);
    collectors.push(outcomeOf('other namespaces', read.collected));
  }
  return {
    takenAtMs,
    durationSeconds: (performance.now() - started) / 1000,
    entrySize: facts.ok ? facts.data.entrySize : undefined,
    namespaces,
    collectors,
  };
}
