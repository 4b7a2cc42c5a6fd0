import { writeSync } from 'node:fs';

/**
 * A failpoint for the crash tests: with CTDOCTOR_CRASH_AFTER_STEP=N the process kills itself with
 * SIGKILL (no cleanup, no finally: what the OOM killer or kill -9 does) right after its N-th
 * mutating step. Read once; unset, every call is one comparison.
 */
const CRASH_AFTER_STEP = Number(process.env.CTDOCTOR_CRASH_AFTER_STEP) || 0;
let stepsDone = 0;

/** Called right after every step that changes the system or the journal. */
export function crashPoint(step: string): void {
  if (CRASH_AFTER_STEP === 0) return;
  stepsDone += 1;
  if (stepsDone !== CRASH_AFTER_STEP) return;
  writeSync(2, `ctdoctor: CTDOCTOR_CRASH_AFTER_STEP=${CRASH_AFTER_STEP}: killed after ${step}\n`);
  process.kill(process.pid, 'SIGKILL');
}
