import type { ConntrackSample } from '../core/status.js';
import { type SampleOptions, readFallbackCount } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { type Collected, collect, required } from './collector.js';
import { statCounters } from './statCounters.js';
import { tableSize } from './tableSize.js';

/**
 * One point in time of the namespace's table: its size and limits and its counters. Rates need two
 * of these; the caller takes them (twoSamples.ts), a collector never waits.
 */
export function conntrackSample(
  files: NetnsFiles,
  options: SampleOptions,
): Promise<Collected<ConntrackSample>> {
  return collect('conntrack sample', async () => {
    const takenAtMs = Date.now();
    const size = required(await tableSize(files));
    const counters = required(await statCounters(files, options));
    const count = size.count ?? (await readFallbackCount(files, counters, options));
    return { takenAtMs, count, max: size.max, buckets: size.buckets, ...counters };
  });
}

/**
 * The sample of a namespace other than ctdoctor's own, where every read starts an nsenter child:
 * the stat file alone gives the count and the counters, and max and buckets are global, so they come
 * from ctdoctor's own namespace. Without the stat file, netlink reads it all.
 */
export function enteredNamespaceSample(
  files: NetnsFiles,
  global: { max: number; buckets: number },
  netlinkAllowed: boolean,
): Promise<Collected<ConntrackSample>> {
  return collect('conntrack sample', async () => {
    const takenAtMs = Date.now();
    const counters = await statCounters(files, { source: 'procfs', netlinkAllowed });
    if (counters.ok && counters.data.stats) {
      const { stats } = counters.data;
      return { takenAtMs, count: stats.entries ?? 0, max: global.max, buckets: global.buckets, stats };
    }
    if (!counters.ok && counters.reason !== 'absent') throw counters.cause;
    return required(await conntrackSample(files, { source: 'netlink', netlinkAllowed }));
  });
}
