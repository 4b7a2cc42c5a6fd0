import type { Finding as TableFinding } from '../../analysis/findings.js';
import type { KernelLogSummary, TableFullSummary } from '../../doctor/kernelLog.js';
import type { WorkloadIdentity } from '../../doctor/workloadIdentity.js';
import type { KernelVersion } from '../../kernelInfo.js';
import type { InvalidLogging } from '../../conntrackSettings.js';
import type { DriftRow } from '../../plan/persistDrift.js';
import type { StatusReport } from '../../status.js';
import type { FindingKind } from '../findingKind.js';
import type { CounterFinding } from './counterFinding.js';

/** What doctor knows, as plain data (the collectors fill it in). */
export interface DoctorInput {
  kernel: KernelVersion;
  memTotalBytes: number;
  entryBytes: number;
  max: number;
  buckets: number;
  timeouts: Record<string, number>;
  namespaces: {
    inode: number;
    initial: boolean;
    names: string[];
    path: string;
    processes: { pid: number; command: string; workload: WorkloadIdentity }[];
    status: StatusReport | null;
    error: string | null;
    tableFindings: TableFinding[];
    dnsShare: number | null;
    establishedIdleOverDay: number | null;
    zones: string[];
    /** Table-full kernel messages that are this namespace's own (inode reuse filtered out). */
    tableFull: TableFullSummary | null;
    /** nf_conntrack_log_invalid and _tcp_be_liberal, read where `invalid` rises (absent: not read). */
    invalidLogging?: InvalidLogging | null;
  }[];
  kernelLog: KernelLogSummary | null;
  persist: {
    file: string | null;
    rows: DriftRow[];
    overridden: {
      key: string;
      loser: string;
      loserValue: string;
      winner: string;
      winnerValue: string;
      appliers: string[];
    }[];
  } | null;
  helpers: { name: string; presence: string; inUse: boolean; usageUnknown?: string | null }[];
  owners: { who: string; evidence: string; effect: string; advice: string }[];
  numaNodes: number;
  root: boolean;
  selfInitial: boolean;
}

/** What doctor reads about one network namespace. */
export type NamespaceReadings = DoctorInput['namespaces'][number];

/** A finding of doctor's: what a counter finding says, and the namespace it is about. */
export interface DoctorFinding extends CounterFinding {
  netns: number | null;
}

/** A rule run once per namespace: its readings, and the host-wide ones beside them. */
export interface NamespaceRule {
  kinds: readonly FindingKind[];
  detect(namespace: NamespaceReadings, host: DoctorInput): DoctorFinding[];
}

/** A rule run once for the host (settings, persistence, modules, privileges). */
export interface HostRule {
  kinds: readonly FindingKind[];
  detect(host: DoctorInput): DoctorFinding[];
}
