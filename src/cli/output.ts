import { type Command, CommanderError } from 'commander';
import { isCtdoctorError } from '../core/errors.js';

/** Exit codes of every command except the monitoring-style ones (check, doctor), which use 0–3. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Causes --debug shows below an error: far more than any wrapping here, and an end to a cycle. */
const MAX_CAUSES = 8;

/** One line naming the fix; with --debug, the stack trace and then each cause's. */
export function describeError(error: unknown, debug: boolean): string {
  if (debug && error instanceof Error) {
    const lines = [error.stack ?? String(error)];
    let cause = error.cause;
    for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
      lines.push(`caused by: ${cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    return lines.join('\n');
  }
  if (isCtdoctorError(error)) return error.message;
  if (error instanceof Error) return `unexpected error: ${error.message} (re-run with --debug for details)`;
  return `unexpected error: ${String(error)}`;
}

/**
 * How a command reports a failure: every one, a bad command line included (commander's unknown
 * option, missing argument, invalid choice, or a value an option parser refused), is one printed
 * line and one exit code. A monitoring command must keep its own contract here (a plugin that
 * cannot run is UNKNOWN, exit 3, never CRITICAL).
 */
export interface FailureReporting {
  /** Exit code when the command line is wrong. */
  usageExit: number;
  /** Exit code for any other failure. */
  failureExit: number;
  /** Prints the failure: `message` is one line; `stack` is set with --debug. */
  print(message: string, output: { json: boolean; stack?: string }): void;
}

/** Every command that declares nothing else: `ctdoctor: <message>` on stderr, exit 2 or 1. */
export const STANDARD_FAILURES: FailureReporting = {
  usageExit: EXIT.usage,
  failureExit: EXIT.failure,
  print: (message, { stack }) => process.stderr.write(`ctdoctor: ${stack ?? message}\n`),
};

/** A command's failure reporting, or how it follows from its options (persist --check is a check). */
type DeclaredFailures = FailureReporting | ((options: Record<string, unknown>) => FailureReporting);

const declaredFailures = new WeakMap<Command, DeclaredFailures>();

/** Declares how `command` reports failures (main.ts applies it to its parse errors and its action). */
export function reportFailuresAs(command: Command, reporting: DeclaredFailures): Command {
  declaredFailures.set(command, reporting);
  return command;
}

export function failureReportingOf(command: Command): FailureReporting {
  const declared = declaredFailures.get(command) ?? STANDARD_FAILURES;
  return typeof declared === 'function' ? declared(command.opts()) : declared;
}

/** A bad command line: commander's own errors and what the option parsers refused. */
export function isUsageError(error: unknown): boolean {
  return error instanceof CommanderError || (isCtdoctorError(error) && error.kind === 'usage');
}

/** commander's message without its "error: " prefix, on one line ("(Did you mean --warn?)" joined). */
export function commanderMessage(text: string): string {
  return text
    .replace(/^error: /, '')
    .trim()
    .replace(/\s*\n\s*/g, ' ');
}
