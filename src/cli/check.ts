import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { probeStatus } from '../collectors/statusProbe.js';
import {
  CHECK_EXIT,
  type CheckOutcome,
  checkJson,
  checkOutcome,
  renderCheckLine,
  unknownCheckOutcome,
} from '../render/checkLine.js';
import { type CommonOptions, addCommonOptions, openContext } from './context.js';
import { type FailureReporting, printJson, reportFailuresAs } from './output.js';
import { addThresholdOptions, thresholdsFrom } from './status.js';

interface CheckOptions extends CommonOptions {
  interval: number;
  warn: number;
  crit: number;
}

function printOutcome(outcome: CheckOutcome, json: boolean): void {
  if (json) printJson(checkJson(outcome));
  else process.stdout.write(`${renderCheckLine(outcome)}\n`);
}

/**
 * A plugin that could not run is UNKNOWN (exit 3) with the reason on stdout, where the monitoring
 * system reads it: a bad option must not page anyone as CRITICAL (exit 2).
 */
const CHECK_FAILURES: FailureReporting = {
  usageExit: CHECK_EXIT.unknown,
  failureExit: CHECK_EXIT.unknown,
  print: (message, { json, stack }) => {
    if (stack) process.stderr.write(`${stack}\n`);
    printOutcome(unknownCheckOutcome(message), json);
  },
};

export function checkCommand(): Command {
  const command = new Command('check').description(
    'monitoring-plugin check (Nagios/Icinga/Sensu/Zabbix): one line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for a bad option)',
  );
  addThresholdOptions(addCommonOptions(command));
  actionWithExitCode(command, async (options: CheckOptions) => {
    const thresholds = thresholdsFrom(options);
    const context = await openContext(options);
    const report = await probeStatus(context.files, context.facts, {
      source: options.source,
      netlinkAllowed: context.netlinkAllowed,
      intervalSeconds: options.interval,
      thresholds,
    });
    const outcome = checkOutcome(report, thresholds);
    printOutcome(outcome, Boolean(options.json));
    return CHECK_EXIT[outcome.verdict];
  });
  return reportFailuresAs(command, CHECK_FAILURES);
}
