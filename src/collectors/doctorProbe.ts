import { availableParallelism } from 'node:os';
import { type ConntrackSettings, invalidLoggingOf } from '../core/conntrackSettings.js';
import { type KernelLogSummary, namespaceTableFull, summarizeKernelLog } from '../core/doctor/kernelLog.js';
import { heavyInvalidRate } from '../core/findings/doctor/invalidHeavy.js';
import type { HostFacts } from '../core/hostFacts.js';
import type { NetnsInfo } from '../core/networkNamespace.js';
import { buildAnalysisReport } from '../core/reports/analysisReport.js';
import type { DoctorData, NamespaceHealth } from '../core/reports/doctorData.js';
import {
  type ConntrackSample,
  type StatusThresholds,
  evaluateStatus,
  statusFactsOf,
} from '../core/status.js';
import { type NetnsTarget, resolveNetns } from '../host/netns.js';
import { type NetnsFiles, netnsFiles } from '../host/netnsFiles.js';
import { type HostRoots, isLiveProc } from '../host/roots.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { type Collected, dataOr, required } from './collector.js';
import { conntrackSample, enteredNamespaceSample } from './conntrackSample.js';
import { conntrackSettings } from './conntrackSettings.js';
import { conntrackTable } from './conntrackTable.js';
import { conntrackHelpers } from './helpers.js';
import { kernelLog } from './kernelLog.js';
import { keyOwners } from './keyOwners.js';
import { networkNamespaces } from './namespaces.js';
import { numaNodes } from './numaNodes.js';
import { persistenceState } from './persistAudit.js';
import { keyOwnerAdvice } from '../core/plan/keyOwnerAdvice.js';
import { auditPersistenceState } from '../core/plan/persistAudit.js';
import { sampleTwice } from './twoSamples.js';

export interface DoctorOptions {
  roots: HostRoots;
  root: string;
  netns?: string;
  intervalSeconds: number;
  thresholds: StatusThresholds;
  /** Entries read per analysed namespace; the rest of a bigger table is skipped. */
  sampleEntries: number;
  /** Skip table analysis entirely. */
  fast: boolean;
  /** How many of the fullest namespaces get a table analysis. */
  analyzeTop: number;
  /** Kernel-log messages older than this are ignored. */
  logSinceMs: number;
}

/** What every step of the doctor's reading shares. */
interface Reading {
  facts: HostFacts;
  options: DoctorOptions;
  live: boolean;
  settings: ConntrackSettings;
  filesOf: Map<number, NetnsFiles>;
  /** What the report could not look at, and why: appended to in the order of the steps. */
  skipped: string[];
}

/** The target that reads an inventoried namespace (by its process when it has one, else by path). */
export function targetOf(info: NetnsInfo, self: NetnsTarget): NetnsTarget {
  return {
    path: info.path,
    inode: info.inode,
    initial: info.initial,
    isSelf: info.inode === self.inode,
    ...(info.names[0] ? { name: info.names[0] } : {}),
    ...(info.pid !== null ? { pid: info.pid } : {}),
  };
}

/** A namespace known only by what resolveNetns found (a tree's own, or a --netns nothing else lists). */
function bareNamespace(target: NetnsTarget, names: string[], pid: number | null): NetnsInfo {
  return {
    inode: target.inode,
    initial: target.initial,
    names,
    path: target.path,
    pid,
    processes: [],
    existsSinceMs: null,
  };
}

/** The live host's namespaces (or the one of a --proc-root tree), narrowed to --netns. */
async function namespacesToExamine(
  options: DoctorOptions,
  self: NetnsTarget,
  live: boolean,
  skipped: string[],
): Promise<NetnsInfo[]> {
  const { roots } = options;
  // The live host's namespaces (and its /run/netns) are not the tree's: a tree reports its own.
  let infos = live ? required(await networkNamespaces(roots)) : [bareNamespace(self, [], null)];
  if (!live) skipped.push(`other network namespaces (--proc-root ${roots.procRoot} shows only its own)`);
  if (!options.netns) return infos;
  const wanted = await resolveNetns(options.netns, roots);
  infos = infos.filter((info) => info.inode === wanted.inode);
  return infos.length > 0
    ? infos
    : [bareNamespace(wanted, wanted.name ? [wanted.name] : [], wanted.pid ?? null)];
}

/** Count and counters of one namespace; max and buckets are global and come from ctdoctor's own. */
function sampleNamespace(reading: Reading, info: NetnsInfo): Promise<Collected<ConntrackSample>> {
  const files = reading.filesOf.get(info.inode)!;
  if (files.target.isSelf) return conntrackSample(files, { source: 'auto', netlinkAllowed: reading.live });
  return enteredNamespaceSample(files, reading.settings, reading.live);
}

/** Every namespace sampled twice, --interval apart, and evaluated as `status` evaluates one. */
async function namespaceHealth(reading: Reading, infos: NetnsInfo[]): Promise<NamespaceHealth[]> {
  const { before, after } = await sampleTwice(
    () => Promise.all(infos.map((info) => sampleNamespace(reading, info))),
    reading.options.intervalSeconds,
  );
  return infos.map((info, i) => {
    const first = before[i]!;
    const second = after[i]!;
    const none = { info, status: null, analysis: null, tableFull: null };
    if (!second.ok) return { ...none, error: second.message };
    if (!first.ok) return { ...none, error: first.message };
    const status = evaluateStatus(
      first.data,
      second.data,
      statusFactsOf(reading.facts, {
        inode: info.inode,
        initial: info.initial,
        name: info.names[0],
        path: info.path,
      }),
      reading.options.thresholds,
    );
    return { ...none, status, error: null };
  });
}

/** The logging settings of the namespaces invalid-heavy speaks of: its commands restore them. */
async function readInvalidLoggingOf(reading: Reading, namespaces: NamespaceHealth[]): Promise<void> {
  await Promise.all(
    namespaces
      .filter((ns) => heavyInvalidRate(ns.status?.rates ?? null) !== null)
      .map(async (ns) => {
        const files = reading.filesOf.get(ns.info.inode)!;
        const own = files.target.isSelf ? reading.settings : dataOr(await conntrackSettings(files), null);
        ns.invalidLogging = invalidLoggingOf(own);
      }),
  );
}

/** Table analysis of the --analyze-top fullest namespaces, each with its own timeouts. */
async function analyseFullest(reading: Reading, namespaces: NamespaceHealth[]): Promise<void> {
  const { options, skipped } = reading;
  const nonEmpty = namespaces.filter((ns) => ns.status && ns.status.count > 0);
  const candidates = [...nonEmpty]
    .sort((a, b) => b.status!.count - a.status!.count)
    .slice(0, options.analyzeTop);
  for (const ns of candidates) {
    const files = reading.filesOf.get(ns.info.inode)!;
    try {
      // Timeouts are per namespace: advice must quote the namespace's own.
      const own = files.target.isSelf ? reading.settings : required(await conntrackSettings(files));
      const established = own.timeouts.tcp_timeout_established;
      const table = required(
        await conntrackTable(files, options.roots, reading.live, options.sampleEntries, established),
      );
      ns.analysis = buildAnalysisReport(table.run, table.source, {
        limit: 5,
        context: { max: reading.settings.max, timeouts: own.timeouts },
      });
      if (table.run.sampled)
        skipped.push(
          `netns ${ns.info.inode}: analysed the first ${table.run.scanned} of ${ns.status!.count} entries`,
        );
    } catch (error) {
      skipped.push(`netns ${ns.info.inode}: table analysis failed (${(error as Error).message})`);
    }
  }
  const rest = nonEmpty.length - candidates.length;
  if (rest > 0) skipped.push(`${rest} smaller namespaces not analysed (--analyze-top ${options.analyzeTop})`);
}

/** The kernel log since --since, and each namespace's own table-full messages. */
async function readKernelLogOf(
  reading: Reading,
  namespaces: NamespaceHealth[],
): Promise<KernelLogSummary | null> {
  const { options, live } = reading;
  const log = live ? dataOr(await kernelLog(options.roots), null) : null;
  if (!log) {
    reading.skipped.push(
      live
        ? 'kernel log (no /dev/kmsg, dmesg or journalctl access)'
        : "kernel log (the running kernel's, not the tree's)",
    );
    return null;
  }
  for (const ns of namespaces) {
    ns.tableFull = namespaceTableFull(log.records, log.source, ns.info, options.logSinceMs);
  }
  return summarizeKernelLog(log.records, log.source, options.logSinceMs);
}

/**
 * Everything the doctor reports on, from the same collectors `status` and `check` use; the only
 * wait is --interval between the two samples that give rates.
 */
export async function probeDoctor(facts: HostFacts, options: DoctorOptions): Promise<DoctorData> {
  const { roots } = options;
  const skipped: string[] = [];
  const self = await resolveNetns(undefined, roots);
  const selfFiles = netnsFiles(self, roots);
  const settings = required(await conntrackSettings(selfFiles));
  const live = isLiveProc(roots);
  const isRoot = process.getuid?.() === 0;
  const infos = await namespacesToExamine(options, self, live, skipped);
  if (!isRoot) skipped.push('not root: other namespaces, the kernel log and slabinfo may be unreadable');
  const filesOf = new Map(infos.map((info) => [info.inode, netnsFiles(targetOf(info, self), roots)]));
  const reading: Reading = { facts, options, live, settings, filesOf, skipped };

  const namespaces = await namespaceHealth(reading, infos);
  await readInvalidLoggingOf(reading, namespaces);
  if (options.fast) skipped.push('table analysis (--fast)');
  else await analyseFullest(reading, namespaces);
  const log = await readKernelLogOf(reading, namespaces);
  const state = await persistenceState(options.root, sysctlAccess(selfFiles, roots));
  if (!state.ok) skipped.push(`persistence audit (${state.message})`);
  return {
    facts,
    settings,
    namespaces,
    kernelLog: log,
    persist: state.ok ? auditPersistenceState(state.data, facts) : null,
    helpers: live ? dataOr(await conntrackHelpers(selfFiles, roots, false), []) : [],
    owners: required(await keyOwners(options.root, roots, availableParallelism(), self.initial)).map(
      keyOwnerAdvice,
    ),
    numaNodes: required(await numaNodes(roots)),
    root: isRoot,
    selfInitial: self.initial,
    skipped,
  };
}
