import { Command, CommanderError } from 'commander';
import { offerParseThread } from '../analysisRuntime/parseThread.js';
import { offerTableReader } from '../host/procReader.js';
import type { Prestarted } from './prestart.js';
import { colorWanted, useColor } from '../render/colors.js';
import {
  EXIT,
  STANDARD_FAILURES,
  commanderMessage,
  describeError,
  failureReportingOf,
  isUsageError,
} from './output.js';
import { exitCodeOf } from './commandExit.js';

export const VERSION = '0.1.0';

function buildProgram(commands: readonly Command[]): Command {
  const program = new Command('ctdoctor')
    .description(
      'Diagnose and fix nf_conntrack table exhaustion ("nf_conntrack: table full, dropping packet")',
    )
    .version(VERSION)
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output (as NO_COLOR=1 or FORCE_COLOR=0 do)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .hook('preAction', () => {
      useColor(
        colorWanted(program.opts<{ color?: boolean }>().color, process.env, process.stdout.isTTY === true),
      );
    });
  for (const command of commands) {
    // A bad command line is reported by main() as the command declares (output.ts), not by commander.
    program.addCommand(command.exitOverride().configureOutput({ outputError: () => {} }));
  }
  return program;
}

/**
 * `ctdoctor analyze | head` closes our stdout early: that is the reader's choice, not a failure,
 * and must not end in an unhandled EPIPE stack trace.
 */
function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    process.stderr.write(`ctdoctor: cannot write output: ${error.message}\n`);
    process.exit(EXIT.failure);
  });
}

/**
 * Runs the CLI with `commands` and returns the process exit code; never throws. `prestarted`:
 * threads the launcher started for an analysis it saw coming (prestart.ts).
 */
export async function runProgram(
  argv: string[],
  commands: readonly Command[],
  prestarted: Prestarted = {},
): Promise<number> {
  exitQuietlyWhenStdoutCloses();
  if (prestarted.parseThread) offerParseThread(prestarted.parseThread);
  if (prestarted.tableReader) offerTableReader(prestarted.tableReader);
  let running: Command | undefined;
  const program = buildProgram(commands).hook('preSubcommand', (_program, subcommand) => {
    running = subcommand;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(running);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help') return EXIT.ok;
      // An unknown command: commander printed it, with the --help hint.
      if (!running) return EXIT.usage;
    }
    const failures = running ? failureReportingOf(running) : STANDARD_FAILURES;
    const json = argv.includes('--json');
    if (error instanceof CommanderError) failures.print(commanderMessage(error.message), { json });
    else {
      const stack = argv.includes('--debug') ? describeError(error, true) : undefined;
      failures.print(describeError(error, false), { json, stack });
    }
    return isUsageError(error) ? failures.usageExit : failures.failureExit;
  }
}
