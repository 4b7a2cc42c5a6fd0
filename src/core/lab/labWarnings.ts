import type { TuningResult } from './labResult.js';

/** A generator below this share of its asked rate measured a lighter load than the one asked for. */
const ACHIEVED_FLOOR = 0.9;

/** What makes a row less than it looks: a load not reached, a state never steady, a run cut short. */
export function labWarnings(runs: readonly TuningResult[], seconds: number): string[] {
  const warnings: string[] = [];
  for (const run of runs) {
    for (const generator of run.generators)
      if (
        generator.askedRatePerSecond > 0 &&
        generator.achievedRatePerSecond < ACHIEVED_FLOOR * generator.askedRatePerSecond
      )
        warnings.push(
          `"${run.label}": ${generator.kind} reached ${generator.achievedRatePerSecond.toFixed(0)}/s of the ${generator.askedRatePerSecond}/s asked (the generator or this machine is the limit): compare at a lower rate`,
        );
    if (run.interrupted)
      warnings.push(
        `"${run.label}" was interrupted after ${run.seconds.toFixed(1)} s: its figures cover that part only`,
      );
  }
  const steadyFrom = runs[0]?.steady?.fromSeconds;
  if (steadyFrom !== undefined && steadyFrom >= seconds * 0.75)
    warnings.push(
      `the timeouts hold a flow about as long as the run (${seconds} s): the table may not have reached its steady state; lengthen --duration or keep --timeouts short`,
    );
  return warnings;
}
