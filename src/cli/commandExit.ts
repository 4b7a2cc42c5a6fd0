import type { Command } from 'commander';
import { EXIT } from './output.js';

const exitCodes = new WeakMap<Command, number>();

/**
 * Makes `run` the command's action: a command returns its exit code rather than setting it through
 * a callback, and main() reads it back for the command that ran (commander drops action results).
 */
// biome-ignore lint/suspicious/noExplicitAny: commander passes positional arguments, then options, then the command.
export function actionWithExitCode<Args extends any[]>(
  command: Command,
  run: (...args: Args) => Promise<number>,
): Command {
  return command.action(async (...args: Args) => {
    exitCodes.set(command, await run(...args));
  });
}

/** The exit code the command's action returned; ok when no action ran (help, a bare group). */
export function exitCodeOf(command: Command | undefined): number {
  return (command && exitCodes.get(command)) ?? EXIT.ok;
}
