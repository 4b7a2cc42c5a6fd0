import type { DriftEvent } from '../core/settingsDrift.js';
import type { CounterTotals } from '../core/counters.js';
import type { WorkloadIdentity } from '../core/doctor/workloadIdentity.js';
import type { EntrySize } from '../core/memory.js';

export type { DriftEvent };

/** One namespace's cheap readings at one sample: no table walk, only sysctls and the stat file. */
export interface NamespaceReading {
  inode: number;
  initial: boolean;
  /** Its first `ip netns` name, when it has one. */
  name: string | undefined;
  /** The container or pod its processes belong to, when their cgroup names one. */
  workload: WorkloadIdentity | undefined;
  entries: number;
  /** nf_conntrack_max and _buckets are global: every namespace shows the host's. */
  max: number;
  buckets: number;
  /** The kernel's counters summed over CPUs, canonical names (core/counters.ts); {} when unreadable. */
  counters: CounterTotals;
  /**
   * Kernel "nf_conntrack: table full, dropping packet" messages attributed to this namespace since
   * the daemon started (a counter: it only grows while the namespace lives).
   */
  tableFullMessages: number;
}

/** How one collector did in one sample; a per-namespace collector counts as failed if one namespace failed. */
export interface CollectorOutcome {
  collector: string;
  ok: boolean;
  durationSeconds: number;
  /** The first failure's one-line message, for the log (not a label: it is unbounded). */
  message: string | undefined;
}

export interface ServeSample {
  takenAtMs: number;
  durationSeconds: number;
  entrySize: EntrySize | undefined;
  namespaces: NamespaceReading[];
  collectors: CollectorOutcome[];
  /** Settings found changed at this sample (empty on the first one: there is nothing to compare with). */
  drift: DriftEvent[];
}
