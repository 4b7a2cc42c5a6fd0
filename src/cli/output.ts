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

export function exitCodeFor(error: unknown): number {
  return isCtdoctorError(error) && error.kind === 'usage' ? EXIT.usage : EXIT.failure;
}
