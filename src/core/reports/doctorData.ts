import type { ConntrackSettings } from '../conntrackSettings.js';
import type { KernelLogSummary, TableFullSummary } from '../doctor/kernelLog.js';
import type { InvalidLogging } from '../conntrackSettings.js';
import type { HostFacts } from '../hostFacts.js';
import type { NetnsInfo } from '../networkNamespace.js';
import type { HelperStatus } from '../plan/conntrackHelpers.js';
import type { PersistAudit } from '../plan/persistAudit.js';
import type { StatusReport } from '../status.js';
import type { AnalysisReport } from './analysisReport.js';

export interface NamespaceHealth {
  info: NetnsInfo;
  status: StatusReport | null;
  error: string | null;
  analysis: AnalysisReport | null;
  /** Table-full messages that name this namespace, since it surely existed. */
  tableFull: TableFullSummary | null;
  /** Read only where `invalid` rises at invalid-heavy's floor (its commands restore them). */
  invalidLogging?: InvalidLogging | null;
}

/** Who else sets nf_conntrack_max (host/keyOwners.ts detects them). */
export interface KeyOwnerReading {
  who: string;
  evidence: string;
  effect: string;
  advice: string;
}

/** Everything the doctor's collectors read, for buildDoctorReport. */
export interface DoctorData {
  facts: HostFacts;
  settings: ConntrackSettings;
  namespaces: NamespaceHealth[];
  kernelLog: KernelLogSummary | null;
  persist: PersistAudit | null;
  helpers: HelperStatus[];
  owners: KeyOwnerReading[];
  numaNodes: number;
  root: boolean;
  selfInitial: boolean;
  skipped: string[];
}
