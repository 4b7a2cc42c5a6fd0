import { setFlagsFromString } from 'node:v8';

/**
 * For a one-shot command once its heavy work is done: what is left (the report, its rendering)
 * runs once, yet the functions that turn hot in it are sent to V8's optimizing compiler on another
 * thread, and Node waits for that thread before the process can exit. On a million-entry
 * `analyze` that was 20–40 ms after the output was written (strace: the main thread in a futex
 * until the compiler thread woke it; perf: TurboFan on that thread). No new optimization from here
 * on: 93 → 69 ms from the last record counted to the process's end (medians of 10 runs).
 * Never in a process that goes on working (serve): its later work needs the optimizer.
 */
export function stopOptimizingForExit(): void {
  setFlagsFromString('--no-turbofan');
}

/**
 * Undoes stopOptimizingForExit, for the build's warm-up analyses (scripts/bundle-cli.mjs): V8
 * refuses a code cache written under other flags than the run's.
 */
export function resumeOptimizing(): void {
  setFlagsFromString('--turbofan');
}
