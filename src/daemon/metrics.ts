import { Counter, Gauge, Registry } from 'prom-client';
import { namespaceMemoryBytes } from '../core/memory.js';
import type { ReliefTally } from './autoRelief.js';
import type { Exposition, NetnsSeries } from './exposedSeries.js';
import { NO_RELIEF, addReliefMetrics } from './reliefMetrics.js';
import { NOTHING_WATCHED, type WatchedState, addWatcherMetrics } from './watcherMetrics.js';

const NETNS_LABELS = ['netns', 'netns_name'] as const;

/**
 * The kernel counters exported, canonical names (core/counters.ts), with what each means. Left out:
 * the stat file's `new`, `ignore` and `delete` columns, which kernels since 5.x print as a constant 0
 * (ct_cpu_seq_show), and the `searched`/`delete_list` of older kernels, which those columns replaced.
 */
export const EXPORTED_COUNTERS: Readonly<Record<string, string>> = {
  found: 'Lookups that found an existing entry.',
  invalid: 'Packets conntrack could not track (malformed, or out of window for TCP).',
  insert: 'Entries inserted into the table.',
  insert_failed:
    'Entries whose insertion failed (a clash it could not resolve, or the table full): a new flow refused.',
  drop: 'Packets dropped because no entry could be created (the table full and nothing evictable).',
  early_drop: 'Unreplied entries evicted to make room when the table was full.',
  icmp_error: 'ICMP errors that referred to no known connection, or were malformed.',
  clash_resolve: 'Insertion clashes (two packets of one new flow on two CPUs) resolved without a drop.',
  chaintoolong: 'Insertions refused because a hash chain was too long (a sign of hash flooding).',
  search_restart: 'Lookups restarted because the table was resized or an entry moved under them.',
  expect_new: 'Expectations (helper-created related flows) that matched a new connection.',
  expect_create: 'Expectations created by helpers.',
  expect_delete: 'Expectations deleted.',
};

/** The counter metric of a kernel counter: node_exporter's `node_nf_conntrack_stat_X` as a real counter. */
export function counterMetricName(counter: string): string {
  return `ctdoctor_conntrack_stat_${counter}_total`;
}

function labelsOf(series: NetnsSeries): Record<(typeof NETNS_LABELS)[number], string> {
  return { netns: series.netns, netns_name: series.netnsName };
}

export interface BuildInfo {
  version: string;
}

/**
 * Every metric, computed when Prometheus scrapes from the latest sample (prom-client's `collect`),
 * never by reading the system: a scrape cannot hang on a kernel file or fork anything. Each collect
 * starts with reset(), so the series of a namespace missing from the latest sample are retired.
 */
export function serveRegistry(
  latest: () => Exposition,
  build: BuildInfo,
  relief: () => ReliefTally = () => NO_RELIEF,
  watched: WatchedState = NOTHING_WATCHED,
): Registry {
  const registry = new Registry();
  const registers = [registry];
  const perNetnsGauge = (name: string, help: string, value: (series: NetnsSeries) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: NETNS_LABELS,
      registers,
      collect() {
        this.reset();
        for (const series of latest().series) {
          const v = value(series);
          if (v !== undefined) this.set(labelsOf(series), v);
        }
      },
    });
  perNetnsGauge(
    'ctdoctor_conntrack_entries',
    "Entries in the namespace's conntrack table (nf_conntrack_count).",
    (s) => s.entries,
  );
  perNetnsGauge(
    'ctdoctor_conntrack_entries_limit',
    'Entries the table may hold (nf_conntrack_max, host-wide).',
    (s) => s.max,
  );
  perNetnsGauge(
    'ctdoctor_conntrack_buckets',
    'Hash buckets of the table (nf_conntrack_buckets, host-wide).',
    (s) => s.buckets,
  );
  perNetnsGauge(
    'ctdoctor_conntrack_memory_bytes',
    "Kernel memory the namespace's entries take (entries times the slab entry size).",
    (s) => {
      const size = latest().sample.entrySize;
      return size === undefined ? undefined : namespaceMemoryBytes(s.entries, size.bytes);
    },
  );
  for (const [counter, help] of Object.entries(EXPORTED_COUNTERS)) {
    new Counter({
      name: counterMetricName(counter),
      help: `${help} Kernel counter ${counter}, summed over CPUs.`,
      labelNames: NETNS_LABELS,
      registers,
      collect() {
        this.reset();
        for (const series of latest().series) {
          const value = series.counters[counter];
          if (value !== undefined) this.inc(labelsOf(series), value);
        }
      },
    });
  }
  new Gauge({
    name: 'ctdoctor_netns_info',
    help: 'The container and pod of a namespace whose processes a cgroup names (always 1): join on netns.',
    labelNames: ['netns', 'netns_name', 'runtime', 'container_id', 'pod_uid'],
    registers,
    collect() {
      this.reset();
      for (const series of latest().series) {
        const { workload } = series;
        if (workload === undefined) continue;
        this.set(
          {
            ...labelsOf(series),
            runtime: workload.runtime ?? '',
            container_id: workload.containerId ?? '',
            pod_uid: workload.podUid ?? '',
          },
          1,
        );
      }
    },
  });
  addWatcherMetrics(registry, latest, watched);
  addDaemonMetrics(registry, latest, build);
  addReliefMetrics(registry, relief);
  return registry;
}

/** What ctdoctor says about itself: folding, its collectors, the sample's age, its build. */
function addDaemonMetrics(registry: Registry, latest: () => Exposition, build: BuildInfo): void {
  const registers = [registry];
  const single = (name: string, help: string, value: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const v = value();
        if (v !== undefined) this.set(v);
      },
    });
  single(
    'ctdoctor_conntrack_entry_size_bytes',
    'Bytes one entry takes (the nf_conntrack slab object, else an estimate).',
    () => latest().sample.entrySize?.bytes,
  );
  single(
    'ctdoctor_netns_folded',
    'Namespaces beyond --max-netns summed into the netns="other" series in the latest sample.',
    () => latest().folded,
  );
  single(
    'ctdoctor_netns_sampled',
    'Namespaces read in the latest sample.',
    () => latest().sample.namespaces.length,
  );
  single(
    'ctdoctor_sample_timestamp_seconds',
    'When the latest sample was taken (Unix time): a stale one means the sampler is stuck.',
    () => latest().sample.takenAtMs / 1000,
  );
  single(
    'ctdoctor_sample_duration_seconds',
    'How long the latest sample took.',
    () => latest().sample.durationSeconds,
  );
  const perCollector = (name: string, help: string, value: (ok: boolean, seconds: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['collector'],
      registers,
      collect() {
        this.reset();
        for (const outcome of latest().sample.collectors) {
          this.set({ collector: outcome.collector }, value(outcome.ok, outcome.durationSeconds));
        }
      },
    });
  perCollector(
    'ctdoctor_collector_success',
    'Whether the collector read all it reads in the latest sample (1) or failed for one namespace or more (0).',
    (ok) => (ok ? 1 : 0),
  );
  perCollector(
    'ctdoctor_collector_duration_seconds',
    'Time the collector took in the latest sample (summed over namespaces).',
    (_, seconds) => seconds,
  );
  new Gauge({
    name: 'ctdoctor_build_info',
    help: 'ctdoctor version and the Node.js it runs on (always 1).',
    labelNames: ['version', 'nodejs'],
    registers,
  }).set({ version: build.version, nodejs: process.versions.node }, 1);
}
