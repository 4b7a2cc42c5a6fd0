import { isCtdoctorError } from '../core/errors.js';

/** Exit codes of every command except the monitoring-style ones (check, doctor), which use 0–3. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One line naming the fix; a stack trace only with --debug. */
export function describeError(error: unknown, debug: boolean): string {
  if (debug && error instanceof Error && error.stack) return error.stack;
  if (isCtdoctorError(error)) return error.message;
  if (error instanceof Error) return `unexpected error: ${error.message} (re-run with --debug for details)`;
  return `unexpected error: ${String(error)}`;
}

export function exitCodeFor(error: unknown): number {
  return isCtdoctorError(error) && error.kind === 'usage' ? EXIT.usage : EXIT.failure;
}
