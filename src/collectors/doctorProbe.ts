import { availableParallelism } from 'node:os';
import {
  type KernelLogSummary,
  type TableFullSummary,
  summarizeKernelLog,
} from '../core/doctor/kernelLog.js';
import type { HelperStatus } from '../core/plan/conntrackHelpers.js';
import { parseStatFile } from '../core/statFile.js';
import {
  type ConntrackSample,
  type StatusReport,
  type StatusThresholds,
  evaluateStatus,
} from '../core/status.js';
import { type ConntrackSettings, readConntrackSettings } from '../host/conntrackSettings.js';
import { STAT_FILE } from '../host/conntrackSample.js';
import type { HostFacts } from '../host/hostFacts.js';
import { readHelperStatus } from '../host/helperStatus.js';
import { type KeyOwner, keyOwnerAdvice } from '../core/plan/keyOwnerAdvice.js';
import { detectKeyOwners } from '../host/keyOwners.js';
import { readKernelLog } from '../host/kernelLogSource.js';
import { type NetnsTarget, resolveNetns } from '../host/netns.js';
import { type NetnsInfo, listNetworkNamespaces } from '../host/netnsInventory.js';
import { type NetnsFiles, netnsFiles } from '../host/netnsFiles.js';
import { countNumaNodes } from '../host/numaNodes.js';
import { type HostRoots, isLiveProc } from '../host/roots.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { openLiveTable } from '../host/tableSource.js';
import { type AnalysisReport, buildAnalysisReport } from '../core/reports/analysisReport.js';
import type { PersistAudit } from '../core/plan/persistDrift.js';
import { auditPersistence } from './persistAudit.js';
import { analyzeSource } from '../analysisRuntime/tableAnalysis.js';
import { readConntrackSample } from '../host/conntrackSample.js';

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

export interface NamespaceHealth {
  info: NetnsInfo;
  status: StatusReport | null;
  error: string | null;
  analysis: AnalysisReport | null;
  /** Table-full messages that name this namespace, since it surely existed. */
  tableFull: TableFullSummary | null;
}

export interface DoctorData {
  facts: HostFacts;
  settings: ConntrackSettings;
  namespaces: NamespaceHealth[];
  kernelLog: KernelLogSummary | null;
  persist: PersistAudit | null;
  helpers: HelperStatus[];
  owners: KeyOwner[];
  numaNodes: number;
  root: boolean;
  selfInitial: boolean;
  skipped: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function targetOf(info: NetnsInfo, self: NetnsTarget): NetnsTarget {
  return {
    path: info.path,
    inode: info.inode,
    initial: info.initial,
    isSelf: info.inode === self.inode,
    ...(info.names[0] ? { name: info.names[0] } : {}),
    ...(info.pid !== null ? { pid: info.pid } : {}),
  };
}

/** A --proc-root tree describes one namespace, the one its net/ and sys/net/ files are of. */
function treeNamespace(self: NetnsTarget): NetnsInfo {
  return {
    inode: self.inode,
    initial: self.initial,
    names: [],
    path: self.path,
    pid: null,
    processes: [],
    existsSinceMs: null,
  };
}

/** Count and counters of one namespace; max and buckets are global and come from ctdoctor's own. */
async function sampleNamespace(
  files: NetnsFiles,
  settings: ConntrackSettings,
  netlink: boolean,
): Promise<ConntrackSample> {
  if (files.target.isSelf) return readConntrackSample(files, { source: 'auto', netlinkAllowed: netlink });
  const text = await files.readProcText(STAT_FILE);
  if (text !== undefined) {
    const stats = parseStatFile(text);
    return {
      takenAtMs: Date.now(),
      count: stats.entries ?? 0,
      max: settings.max,
      buckets: settings.buckets,
      stats,
    };
  }
  return readConntrackSample(files, { source: 'netlink', netlinkAllowed: netlink });
}

export async function probeDoctor(facts: HostFacts, options: DoctorOptions): Promise<DoctorData> {
  const { roots } = options;
  const skipped: string[] = [];
  const self = await resolveNetns(undefined, roots);
  const selfFiles = netnsFiles(self, roots);
  const settings = await readConntrackSettings(selfFiles);
  const live = isLiveProc(roots);
  const isRoot = process.getuid?.() === 0;

  // The live host's namespaces (and its /run/netns) are not the tree's: a tree reports its own.
  let infos = live ? await listNetworkNamespaces(roots) : [treeNamespace(self)];
  if (!live) skipped.push(`other network namespaces (--proc-root ${roots.procRoot} shows only its own)`);
  if (options.netns) {
    const wanted = await resolveNetns(options.netns, roots);
    infos = infos.filter((info) => info.inode === wanted.inode);
    if (infos.length === 0)
      infos = [
        {
          inode: wanted.inode,
          initial: wanted.initial,
          names: wanted.name ? [wanted.name] : [],
          path: wanted.path,
          pid: wanted.pid ?? null,
          processes: [],
          existsSinceMs: null,
        },
      ];
  }
  if (!isRoot) skipped.push('not root: other namespaces, the kernel log and slabinfo may be unreadable');

  const filesOf = new Map(infos.map((info) => [info.inode, netnsFiles(targetOf(info, self), roots)]));
  const sampleAll = () =>
    Promise.all(
      infos.map((info) =>
        sampleNamespace(filesOf.get(info.inode)!, settings, live).then(
          (sample) => ({ sample, error: null as string | null }),
          (error: Error) => ({ sample: null, error: error.message }),
        ),
      ),
    );
  const first = await sampleAll();
  await sleep(options.intervalSeconds * 1000);
  const second = await sampleAll();
  const namespaces: NamespaceHealth[] = infos.map((info, i) => {
    const before = first[i]!;
    const after = second[i]!;
    if (!before.sample || !after.sample)
      return { info, status: null, error: after.error ?? before.error, analysis: null, tableFull: null };
    const status = evaluateStatus(
      before.sample,
      after.sample,
      {
        kernel: facts.kernel,
        entrySize: facts.entrySize,
        netns: {
          inode: info.inode,
          initial: info.initial,
          ...(info.names[0] ? { name: info.names[0] } : {}),
        },
      },
      options.thresholds,
    );
    return { info, status, error: null, analysis: null, tableFull: null };
  });

  if (options.fast) skipped.push('table analysis (--fast)');
  else {
    const candidates = namespaces
      .filter((ns) => ns.status && ns.status.count > 0)
      .sort((a, b) => b.status!.count - a.status!.count)
      .slice(0, options.analyzeTop);
    for (const ns of candidates) {
      const files = filesOf.get(ns.info.inode)!;
      try {
        // Timeouts are per namespace: advice must quote the namespace's own.
        const own = files.target.isSelf ? settings : await readConntrackSettings(files);
        const source = await openLiveTable(files, roots, 'auto', live);
        const run = await analyzeSource(source, { capacity: 32768, sampleEntries: options.sampleEntries });
        ns.analysis = buildAnalysisReport(run, source, {
          limit: 5,
          context: { max: settings.max, timeouts: own.timeouts },
        });
        if (run.sampled)
          skipped.push(
            `netns ${ns.info.inode}: analysed the first ${run.scanned} of ${ns.status!.count} entries`,
          );
      } catch (error) {
        skipped.push(`netns ${ns.info.inode}: table analysis failed (${(error as Error).message})`);
      }
    }
    const rest = namespaces.filter(
      (ns) => ns.status && ns.status.count > 0 && !candidates.includes(ns),
    ).length;
    if (rest > 0)
      skipped.push(`${rest} smaller namespaces not analysed (--analyze-top ${options.analyzeTop})`);
  }

  const log = live ? await readKernelLog(roots).catch(() => null) : null;
  const kernelLog = log ? summarizeKernelLog(log.records, log.source, options.logSinceMs) : null;
  for (const ns of namespaces) {
    if (!log) break;
    // Inodes are reused: only lines from after this namespace surely existed are its own.
    const since = Math.max(options.logSinceMs, ns.info.initial ? 0 : (ns.info.existsSinceMs ?? 0) - 1000);
    const own = summarizeKernelLog(log.records, log.source, since).tableFull;
    ns.tableFull =
      own.find(
        (entry) => entry.netnsInode === ns.info.inode || (ns.info.initial && entry.netnsInode === null),
      ) ?? null;
  }
  if (!kernelLog)
    skipped.push(
      live
        ? 'kernel log (no /dev/kmsg, dmesg or journalctl access)'
        : "kernel log (the running kernel's, not the tree's)",
    );

  const persist = await auditPersistence(options.root, sysctlAccess(selfFiles, roots), facts).catch(
    (error: Error) => {
      skipped.push(`persistence audit (${error.message})`);
      return null;
    },
  );
  const helpers = live ? await readHelperStatus(selfFiles, roots, false).catch(() => []) : [];
  const owners = (await detectKeyOwners(options.root, roots, availableParallelism(), self.initial)).map(
    keyOwnerAdvice,
  );
  return {
    facts,
    settings,
    namespaces,
    kernelLog,
    persist,
    helpers,
    owners,
    numaNodes: await countNumaNodes(roots),
    root: isRoot,
    selfInitial: self.initial,
    skipped,
  };
}
