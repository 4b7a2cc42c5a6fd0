import { parentPort, workerData } from 'node:worker_threads';
import { analyzeLiveTable } from '../analysisRuntime/liveTableAnalysis.js';
import type { NetnsTarget } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import type { AnalysisRoundData, NamespaceAnalysisMessage } from './namespaceAnalyzer.js';

/**
 * The analysis worker's body: the namespaces of one round, one at a time, each result posted as it
 * is ready; the thread ends with the round.
 */
const { targets, roots, netlinkAllowed, capacity, top } = workerData as AnalysisRoundData;

async function analyzeOne(target: NetnsTarget, hostRoots: HostRoots): Promise<NamespaceAnalysisMessage> {
  const started = performance.now();
  try {
    const report = await analyzeLiveTable(netnsFiles(target, hostRoots), hostRoots, {
      netlinkAllowed,
      capacity,
      top,
    });
    return {
      netns: target.inode,
      ok: true,
      entries: report.entries,
      findings: report.findings,
      durationSeconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    return {
      netns: target.inode,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

for (const target of targets) parentPort!.postMessage(await analyzeOne(target, roots));
