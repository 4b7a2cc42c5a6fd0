import { entriesIdleLongerThan } from '../analysis/establishedIdle.js';
import { buildDoctorFindings } from '../doctor/doctorFindings.js';
import type { DoctorFinding, DoctorInput } from '../findings/doctor/doctorReadings.js';
import type { Verdict } from '../status.js';
import type { DoctorData } from './doctorData.js';

export interface DoctorReport {
  schema: 'ctdoctor.doctor/v1';
  generatedAt: string;
  summary: { verdict: Verdict; line: string; findings: { crit: number; warn: number; info: number } };
  host: {
    kernel: string;
    memTotalBytes: number | null;
    entryBytes: number;
    entryBytesSource: string;
    max: number;
    buckets: number;
    numaNodes: number;
    root: boolean;
    initialNetns: boolean;
  };
  namespaces: {
    inode: number;
    initial: boolean;
    names: string[];
    path: string;
    processes: {
      pid: number;
      command: string;
      runtime: string | null;
      containerId: string | null;
      podUid: string | null;
    }[];
    count: number | null;
    usage: number | null;
    verdict: Verdict | null;
    rates: Record<string, number> | null;
    counters: Record<string, number> | null;
    kernelLogMessages: number;
    analysed: boolean;
    error: string | null;
  }[];
  findings: DoctorFinding[];
  kernelLog: {
    source: string;
    tableFull: { netnsInode: number | null; messages: number; first: string; last: string }[];
    suppressed: number;
  } | null;
  skipped: string[];
}

const LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'WARNING', crit: 'CRITICAL' };

type NamespaceData = DoctorData['namespaces'][number];

/** What the finding rules see of one namespace: its readings and what its table analysis showed. */
function namespaceInput(ns: NamespaceData, establishedTimeout: number): DoctorInput['namespaces'][number] {
  const analysis = ns.analysis;
  const udp53 = analysis?.top.dport.find((row) => row.key === 'udp/53')?.count ?? 0;
  return {
    inode: ns.info.inode,
    initial: ns.info.initial,
    names: ns.info.names,
    path: ns.info.path,
    processes: ns.info.processes,
    status: ns.status,
    error: ns.error,
    tableFindings: analysis?.findings ?? [],
    dnsShare: analysis && analysis.entries > 0 ? udp53 / analysis.entries : null,
    establishedIdleOverDay: analysis
      ? entriesIdleLongerThan(analysis.signals.establishedRemainingHours, establishedTimeout, 86400)
      : null,
    zones: analysis ? Object.keys(analysis.by.zone) : [],
    tableFull: ns.tableFull,
    invalidLogging: ns.invalidLogging ?? null,
  };
}

function doctorInputOf(data: DoctorData): DoctorInput {
  const establishedTimeout = data.settings.timeouts.tcp_timeout_established ?? 432000;
  return {
    kernel: data.facts.kernelVersion,
    memTotalBytes: data.facts.memTotalBytes ?? 0,
    entryBytes: data.facts.entrySize.bytes,
    max: data.settings.max,
    buckets: data.settings.buckets,
    timeouts: data.settings.timeouts,
    namespaces: data.namespaces.map((ns) => namespaceInput(ns, establishedTimeout)),
    kernelLog: data.kernelLog,
    persist: data.persist,
    helpers: data.helpers,
    owners: data.owners,
    numaNodes: data.numaNodes,
    root: data.root,
    selfInitial: data.selfInitial,
  };
}

/** The one line a pager shows: the worst finding, or why all is well. */
function summaryOf(findings: DoctorFinding[], data: DoctorData): DoctorReport['summary'] {
  const counts = { crit: 0, warn: 0, info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  const verdict: Verdict = counts.crit > 0 ? 'crit' : counts.warn > 0 ? 'warn' : 'ok';
  const worstUsage = data.namespaces.reduce((worst, ns) => Math.max(worst, ns.status?.usage ?? 0), 0);
  const line =
    verdict === 'ok'
      ? `OK: ${data.namespaces.length} network namespaces, fullest table at ${(worstUsage * 100).toFixed(0)}%, no drops`
      : `${LABEL[verdict]}: ${findings[0]!.title}`;
  return { verdict, line, findings: counts };
}

function reportedNamespace(ns: NamespaceData): DoctorReport['namespaces'][number] {
  return {
    inode: ns.info.inode,
    initial: ns.info.initial,
    names: ns.info.names,
    path: ns.info.path,
    processes: ns.info.processes.map((p) => ({
      pid: p.pid,
      command: p.command,
      runtime: p.workload.runtime,
      containerId: p.workload.containerId,
      podUid: p.workload.podUid,
    })),
    count: ns.status?.count ?? null,
    usage: ns.status?.usage ?? null,
    verdict: ns.status?.verdict ?? null,
    rates: ns.status?.rates ?? null,
    counters: ns.status?.counters ?? null,
    kernelLogMessages: ns.tableFull?.messages ?? 0,
    analysed: ns.analysis !== null,
    error: ns.error,
  };
}

function reportedKernelLog(kernelLog: DoctorData['kernelLog']): DoctorReport['kernelLog'] {
  if (!kernelLog) return null;
  return {
    source: kernelLog.source,
    tableFull: kernelLog.tableFull.map((e) => ({
      netnsInode: e.netnsInode,
      messages: e.messages,
      first: new Date(e.firstMs).toISOString(),
      last: new Date(e.lastMs).toISOString(),
    })),
    suppressed: kernelLog.suppressed,
  };
}

export function buildDoctorReport(data: DoctorData): DoctorReport {
  const findings = buildDoctorFindings(doctorInputOf(data));
  return {
    schema: 'ctdoctor.doctor/v1',
    generatedAt: new Date().toISOString(),
    summary: summaryOf(findings, data),
    host: {
      kernel: data.facts.kernel,
      memTotalBytes: data.facts.memTotalBytes ?? null,
      entryBytes: data.facts.entrySize.bytes,
      entryBytesSource: data.facts.entrySize.source,
      max: data.settings.max,
      buckets: data.settings.buckets,
      numaNodes: data.numaNodes,
      root: data.root,
      initialNetns: data.selfInitial,
    },
    namespaces: data.namespaces.map(reportedNamespace),
    findings,
    kernelLog: reportedKernelLog(data.kernelLog),
    skipped: data.skipped,
  };
}
