import { actionWithExitCode } from './commandExit.js';
import { Command, Option } from 'commander';
import { DEFAULT_THRESHOLDS, type StatusThresholds } from '../core/status.js';
import { CtdoctorError } from '../core/errors.js';
import { probeStatus } from '../collectors/statusProbe.js';
import { renderStatusText } from '../render/statusText.js';
import {
  type CommonOptions,
  INTERVAL_BOUNDS,
  addCommonOptions,
  durationRange,
  openContext,
  parseDuration,
  parsePercent,
  percentOfRatio,
} from './context.js';
import { EXIT, printJson } from './output.js';

interface StatusOptions extends CommonOptions {
  interval: number;
  warn: number;
  crit: number;
  watch?: boolean;
}

/** --warn equal to --crit is allowed: no WARNING stage, straight to CRITICAL. */
export function thresholdsFrom(options: { warn: number; crit: number }): StatusThresholds {
  if (options.warn > options.crit) {
    throw new CtdoctorError(
      'usage',
      `--warn ${percentText(options.warn)} is above --crit ${percentText(options.crit)}: warn must not exceed crit`,
    );
  }
  return { warnUsage: options.warn, critUsage: options.crit };
}

function percentText(ratio: number): string {
  return `${percentOfRatio(ratio)}%`;
}

/** Usage thresholds are parsed as percents (80 or 80%) and their defaults shown the same way. */
function percentOption(flags: string, description: string, defaultRatio: number): Option {
  return new Option(flags, description)
    .argParser(parsePercent(flags.split(' ')[0]!))
    .default(defaultRatio, percentText(defaultRatio));
}

export function addThresholdOptions(command: Command): Command {
  return command
    .option(
      '--interval <seconds>',
      `sampling window for rates ${durationRange(INTERVAL_BOUNDS)}`,
      parseDuration('--interval', INTERVAL_BOUNDS),
      1,
    )
    .addOption(
      percentOption('--warn <percent>', 'usage that makes the verdict warn', DEFAULT_THRESHOLDS.warnUsage),
    )
    .addOption(
      percentOption(
        '--crit <percent>',
        'usage that makes the verdict crit (at least --warn)',
        DEFAULT_THRESHOLDS.critUsage,
      ),
    );
}

export function statusCommand(): Command {
  const command = new Command('status').description(
    'one screen: entries/max, buckets, memory, drop counters and rates, and a verdict',
  );
  addThresholdOptions(addCommonOptions(command)).option('--watch', 'refresh in place until interrupted');
  return actionWithExitCode(command, async (options: StatusOptions) => {
    const context = await openContext(options);
    const thresholds = thresholdsFrom(options);
    const probe = () =>
      probeStatus(context.files, context.facts, {
        source: options.source,
        netlinkAllowed: context.netlinkAllowed,
        intervalSeconds: options.interval,
        thresholds,
      });
    if (!options.watch) {
      const report = await probe();
      if (options.json) printJson(report);
      else process.stdout.write(`${renderStatusText(report)}\n`);
      return EXIT.ok;
    }
    for (;;) {
      const report = await probe();
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '\n';
        process.stdout.write(
          `${clear}${renderStatusText(report)}\n  (refreshing every ${options.interval} s, Ctrl-C to stop)\n`,
        );
      }
    }
  });
}
