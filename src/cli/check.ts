import { Command } from 'commander';
import { probeStatus } from '../measure/statusProbe.js';
import { CHECK_EXIT, renderCheckLine, renderCheckUnknown } from '../render/checkLine.js';
import { type CommonOptions, addCommonOptions, openContext } from './context.js';
import { describeError } from './output.js';
import { addThresholdOptions, thresholdsFrom } from './status.js';

interface CheckOptions extends CommonOptions {
  interval: number;
  warn: number;
  crit: number;
}

export function checkCommand(setExit: (code: number) => void): Command {
  const command = new Command('check').description(
    'monitoring-plugin check (Nagios/Icinga/Sensu/Zabbix): one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN',
  );
  addThresholdOptions(addCommonOptions(command));
  return command.action(async (options: CheckOptions) => {
    try {
      const thresholds = thresholdsFrom(options);
      const context = await openContext(options);
      const report = await probeStatus(context.files, context.facts, {
        source: options.source,
        netlinkAllowed: context.netlinkAllowed,
        intervalSeconds: options.interval,
        thresholds,
      });
      process.stdout.write(`${renderCheckLine(report, thresholds)}\n`);
      setExit(CHECK_EXIT[report.verdict]);
    } catch (error) {
      process.stdout.write(`${renderCheckUnknown(describeError(error, false))}\n`);
      setExit(CHECK_EXIT.unknown);
    }
  });
}
