import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { CHECK_EXIT } from '../render/checkLine.js';
import { buildDoctorReport } from '../core/reports/doctorReport.js';
import { requireTreeRoot } from '../host/confTree.js';
import { probeDoctor } from '../collectors/doctorProbe.js';
import { renderDoctorMarkdown } from '../render/doctorMarkdown.js';
import { renderDoctorText } from '../render/doctorText.js';
import {
  type CommonOptions,
  type DurationBounds,
  addCommonOptions,
  durationRange,
  openContext,
  parseDuration,
  parseWholeNumber,
} from './context.js';
import { type FailureReporting, STANDARD_FAILURES, printJson, reportFailuresAs } from './output.js';
import { addThresholdOptions, thresholdsFrom } from './status.js';

interface DoctorOptions extends CommonOptions {
  root: string;
  markdown?: boolean;
  fast?: boolean;
  sample: number;
  analyzeTop: number;
  since: number;
  interval: number;
  warn: number;
  crit: number;
}

/** Exit 2 means "critical" to whoever runs doctor from a script: a doctor that could not run is 3. */
const DOCTOR_FAILURES: FailureReporting = {
  ...STANDARD_FAILURES,
  usageExit: CHECK_EXIT.unknown,
  failureExit: CHECK_EXIT.unknown,
};

/**
 * How far back the kernel log is read. A month covers every default journald and rsyslog rotation;
 * older "table full" lines name namespace inodes that have long been reused, and an unbounded value
 * pushed the start before the epoch.
 */
const SINCE_BOUNDS: DurationBounds = { unit: 'min', minSeconds: 60, maxSeconds: 30 * 86_400 };

export function doctorCommand(): Command {
  const command = new Command('doctor').description(
    'the whole incident in one report, across every network namespace: what is wrong, why, and the exact fix (exit 0 ok, 1 warn, 2 crit, 3 error)',
  );
  addThresholdOptions(addCommonOptions(command))
    .option('--root <dir>', 'where /etc is (for the persistence audit)', '/')
    .option('--markdown', 'print Markdown for an incident ticket')
    .option('--fast', 'skip table analysis')
    .option(
      '--sample <entries>',
      'analyse at most this many entries per namespace',
      parseWholeNumber('--sample'),
      200_000,
    )
    .option('--analyze-top <n>', 'analyse the N fullest namespaces', parseWholeNumber('--analyze-top'), 5)
    .option(
      '--since <minutes>',
      `kernel-log messages from the last N minutes ${durationRange(SINCE_BOUNDS)}`,
      parseDuration('--since', SINCE_BOUNDS),
      60,
    );
  actionWithExitCode(command, async (options: DoctorOptions) => {
    await requireTreeRoot(options.root);
    const context = await openContext({ ...options, netns: undefined });
    const data = await probeDoctor(context.facts, {
      roots: context.roots,
      root: options.root,
      netns: options.netns,
      intervalSeconds: options.interval,
      thresholds: thresholdsFrom(options),
      sampleEntries: options.sample,
      fast: Boolean(options.fast),
      analyzeTop: options.analyzeTop,
      logSinceMs: Date.now() - options.since * 60_000,
    });
    const report = buildDoctorReport(data);
    if (options.json) printJson(report);
    else if (options.markdown) process.stdout.write(`${renderDoctorMarkdown(report)}\n`);
    else process.stdout.write(`${renderDoctorText(report)}\n`);
    return CHECK_EXIT[report.summary.verdict];
  });
  return reportFailuresAs(command, DOCTOR_FAILURES);
}
