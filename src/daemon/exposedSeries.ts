import type { CounterTotals } from '../core/counters.js';
import type { WorkloadIdentity } from '../core/doctor/workloadIdentity.js';
import type { NamespaceReading, ServeSample } from './serveSample.js';

/** The label value of the one series every namespace beyond --max-netns is summed into. */
export const OTHER_NETNS = 'other';

/** One `netns` label set: a namespace, or the sum of the folded ones. */
export interface NetnsSeries {
  /** The namespace's inode (what `lsns -t net` and /proc/PID/ns/net show), or "other". */
  netns: string;
  /** Its `ip netns` name, "" when it has none (an empty label is an absent label to Prometheus). */
  netnsName: string;
  /** The container or pod its processes belong to, when their cgroup names one. */
  workload: WorkloadIdentity | undefined;
  entries: number;
  max: number;
  buckets: number;
  counters: CounterTotals;
  /** Kernel table-full messages attributed to it (a counter, folded like the kernel's). */
  tableFullMessages: number;
}

export interface Exposition {
  sample: ServeSample;
  series: NetnsSeries[];
  /** Namespaces summed into the "other" series in this sample. */
  folded: number;
}

function seriesOf(reading: NamespaceReading): NetnsSeries {
  return {
    netns: String(reading.inode),
    netnsName: reading.name ?? '',
    workload: reading.workload,
    entries: reading.entries,
    max: reading.max,
    buckets: reading.buckets,
    counters: reading.counters,
    tableFullMessages: reading.tableFullMessages,
  };
}

/** The host namespace first, then the fullest: the ones a dashboard looks at keep their own series. */
function byImportance(a: NamespaceReading, b: NamespaceReading): number {
  if (a.initial !== b.initial) return a.initial ? -1 : 1;
  return b.entries - a.entries || a.inode - b.inode;
}

/**
 * Turns samples into the series /metrics shows, bounded to `maxNetns` namespaces plus "other".
 *
 * A namespace's counters are the kernel's own values: they fall only when the kernel's do (module
 * reload, or a new namespace reusing a dead one's inode), which is the counter reset Prometheus's
 * rate() is built to handle, and it keeps ctdoctor equal to node_exporter and `conntrack -S`.
 * The "other" series is different: a plain sum would fall whenever a namespace leaves the fold
 * (it vanished, or grew into the top N), and rate() would read that as a reset and report the whole
 * sum as new loss. So "other" accumulates what its members' counters grew by since the previous
 * sample; a namespace seen for the first time adds nothing until its next sample.
 */
export class SeriesFolder {
  private previousCounters = new Map<number, CounterTotals>();
  private previousTableFull = new Map<number, number>();
  private readonly otherCounters: CounterTotals = {};
  private otherTableFull = 0;
  private otherSeen = false;

  constructor(readonly maxNetns: number) {}

  fold(sample: ServeSample): Exposition {
    const ordered = [...sample.namespaces].sort(byImportance);
    const kept = ordered.slice(0, this.maxNetns);
    const folded = ordered.slice(this.maxNetns);
    for (const reading of folded) this.accumulateOther(reading);
    this.previousCounters = new Map(sample.namespaces.map((reading) => [reading.inode, reading.counters]));
    this.previousTableFull = new Map(sample.namespaces.map((r) => [r.inode, r.tableFullMessages]));
    const series = kept.map(seriesOf);
    if (folded.length > 0) this.otherSeen = true;
    // Once shown, "other" stays (at 0 entries when nothing is folded): a counter series that comes
    // and goes would break rate() at each return.
    if (this.otherSeen) series.push(this.otherSeries(folded, sample));
    return { sample, series, folded: folded.length };
  }

  private accumulateOther(reading: NamespaceReading): void {
    const before = this.previousCounters.get(reading.inode);
    if (before === undefined) return;
    for (const [name, value] of Object.entries(reading.counters)) {
      const grown = value - (before[name] ?? value);
      this.otherCounters[name] = (this.otherCounters[name] ?? 0) + Math.max(0, grown);
    }
    const logged = reading.tableFullMessages - (this.previousTableFull.get(reading.inode) ?? 0);
    this.otherTableFull += Math.max(0, logged);
  }

  private otherSeries(folded: NamespaceReading[], sample: ServeSample): NetnsSeries {
    const host = sample.namespaces.find((reading) => reading.initial) ?? sample.namespaces[0];
    return {
      netns: OTHER_NETNS,
      netnsName: '',
      workload: undefined,
      entries: folded.reduce((sum, reading) => sum + reading.entries, 0),
      max: host?.max ?? 0,
      buckets: host?.buckets ?? 0,
      counters: { ...this.otherCounters },
      tableFullMessages: this.otherTableFull,
    };
  }
}
