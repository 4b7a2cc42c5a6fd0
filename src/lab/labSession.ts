import type { LabReport, TuningResult } from '../core/lab/labResult.js';
import { summarizeRun } from '../core/lab/labResult.js';
import type { HostTable } from '../core/lab/labSafety.js';
import { type LabTuning, changesGlobals } from '../core/lab/labTuning.js';
import { labWarnings } from '../core/lab/labWarnings.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../core/plan/timeoutDefaults.js';
import { GlobalSettingsHold } from './globalSettings.js';
import { removeStaleLabNamespaces } from './labNamespace.js';
import { LAB_NETNS_PREFIX, type LabPlan, type LabProgress, runTuning } from './labRun.js';

export interface LabSession {
  plan: LabPlan;
  tunings: LabTuning[];
  scenarioTexts: string[];
  kernel: string;
  host: HostTable;
  signal: AbortSignal;
  onProgress: (progress: LabProgress & { run: number; runs: number }) => void;
}

/**
 * Every tuning in turn, each in a fresh namespace, machine-wide values put back after each one and
 * at the end whatever happens (an error, Ctrl-C: the caller aborts `signal`). The hold on the
 * globals is taken before anything starts and refused, not waited for, when another holds it.
 */
export async function runLabSession(session: LabSession): Promise<LabReport> {
  const startedAt = new Date().toISOString();
  await removeStaleLabNamespaces(LAB_NETNS_PREFIX);
  const hold = session.tunings.some(changesGlobals) ? await GlobalSettingsHold.take(0) : null;
  const runs: TuningResult[] = [];
  try {
    for (const [index, tuning] of session.tunings.entries()) {
      if (session.signal.aborted) break;
      const measured = await runTuning(session.plan, tuning, hold, session.signal, (progress) =>
        session.onProgress({ ...progress, run: index + 1, runs: session.tunings.length }),
      );
      await hold?.restore();
      runs.push(summarizeRun(measured));
    }
  } finally {
    await hold?.release();
  }
  const changed = new Set(
    session.tunings.flatMap((tuning) => [
      ...(tuning.max === undefined ? [] : (['max'] as const)),
      ...(tuning.buckets === undefined ? [] : (['buckets'] as const)),
    ]),
  );
  return {
    schema: 'ctdoctor.lab/v1',
    kernel: session.kernel,
    startedAt,
    scenario: { texts: session.scenarioTexts, generators: session.plan.generators },
    topology: session.plan.topology,
    seconds: session.plan.seconds,
    baseTimeouts: Object.entries(session.plan.baseTimeouts).map(([name, seconds]) => ({
      name,
      seconds,
      kernelDefault: KERNEL_DEFAULT_TIMEOUTS[name] ?? null,
    })),
    host: { count: session.host.count, max: session.host.max, buckets: session.host.buckets },
    // Read back, not assumed: what the report says is what the kernel has now.
    globalChanges: await Promise.all(
      [...changed].map(async (setting) => ({
        setting,
        original: hold!.original[setting],
        restored: (await hold!.read(setting)) === hold!.original[setting],
      })),
    ),
    entryBytes: session.plan.entryBytes,
    runs,
    interrupted: session.signal.aborted,
    warnings: labWarnings(runs, session.plan.seconds),
  };
}
