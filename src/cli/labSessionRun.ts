import { withChangeLock } from '../actions/changeLock.js';
import { dataOr } from '../collectors/collector.js';
import { conntrackSettings } from '../collectors/conntrackSettings.js';
import type { LabReport } from '../core/lab/labResult.js';
import { type HostTable, labSafety } from '../core/lab/labSafety.js';
import { type LabTuning, changesGlobals } from '../core/lab/labTuning.js';
import { CtdoctorError } from '../core/errors.js';
import type { LabPlan, LabProgress } from '../lab/labRun.js';
import { runLabSession } from '../lab/labSession.js';
import { formatCount } from '../render/format.js';
import type { CommandContext } from './context.js';
import { EXIT } from './output.js';
import { type StateOptions, journalFor } from './stateOptions.js';

/** What a shell reports for a process ended by SIGINT / SIGTERM. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** The host's table as the lab's guards need it; refuses when conntrack is not loaded. */
export async function hostTable(context: CommandContext): Promise<HostTable> {
  const settings = dataOr(await conntrackSettings(context.files), null);
  if (!settings)
    throw new CtdoctorError(
      'not-loaded',
      'nf_conntrack is not loaded here: modprobe nf_conntrack, then run the lab',
    );
  return {
    count: settings.count,
    max: settings.max,
    buckets: settings.buckets,
    initialNamespace: context.files.target.initial,
    root: process.getuid?.() === 0,
  };
}

export interface LabRequest {
  plan: LabPlan;
  tunings: LabTuning[];
  scenarioTexts: string[];
  consent: boolean;
  state: StateOptions;
}

/**
 * The lab as `lab` and `plan --verify` run it: the guards (root, initial namespace, the max floor,
 * --yes), what will change said on stderr before anything does, Ctrl-C and SIGTERM turned into a
 * clean stop (namespaces deleted, globals restored; the exit code says which signal), ctdoctor's
 * change lock held while globals are changed, progress on a TTY.
 */
export async function runLabFromCli(
  context: CommandContext,
  request: LabRequest,
): Promise<{ report: LabReport; exitCode: number }> {
  const host = await hostTable(context);
  const safety = labSafety(request.tunings, host, request.consent);
  if (safety.refusal) throw new CtdoctorError('refused', safety.refusal);
  for (const change of safety.changes) process.stderr.write(`lab will change ${change}\n`);
  if (safety.needsConsent)
    throw new CtdoctorError(
      'refused',
      `this host's own namespace tracks ${host.count} entries and the run changes machine-wide settings (above): add --yes to proceed`,
    );
  const aborted = new AbortController();
  let stoppedBy: keyof typeof SIGNAL_EXIT | null = null;
  const stop = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stoppedBy)
      process.stderr.write('\nlab: still restoring the machine-wide settings and deleting namespaces…\n');
    stoppedBy ??= signal;
    aborted.abort();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const progress = progressLine();
  try {
    const session = () =>
      runLabSession({
        plan: request.plan,
        tunings: request.tunings,
        scenarioTexts: request.scenarioTexts,
        kernel: context.facts.kernelVersion.release,
        host,
        signal: aborted.signal,
        onProgress: progress.update,
      });
    const report = request.tunings.some(changesGlobals)
      ? await withChangeLock(journalFor(request.state), session)
      : await session();
    return { report, exitCode: stoppedBy ? SIGNAL_EXIT[stoppedBy] : EXIT.ok };
  } finally {
    progress.done();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** "[1/2] max=4000  12/20 s  2,000 entries  7,183 drops" on a TTY, redrawn in place. */
function progressLine(): {
  update: (progress: LabProgress & { run: number; runs: number }) => void;
  done: () => void;
} {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let drawn = false;
  return {
    update(progress) {
      drawn = true;
      process.stderr.write(
        `\r[${progress.run}/${progress.runs}] ${progress.label}  ${progress.second}/${progress.seconds} s  ${formatCount(progress.entries)} entries  ${formatCount(progress.drops)} drops\x1b[K`,
      );
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  };
}
