import type { LabReport, TuningResult } from '../core/lab/labResult.js';
import { formatCount } from './format.js';

/** "short-flows 500/s (497 achieved) + long-pool 50 connections": what the lab ran, in one line. */
export function labWorkloadText(report: LabReport): string {
  const achieved = new Map(
    (report.runs[0]?.generators ?? []).map((generator) => [generator.kind, generator.achievedRatePerSecond]),
  );
  return report.scenario.generators
    .map((spec) => {
      if (spec.kind === 'long-pool') return `long-pool ${spec.connections} connections`;
      const reached = achieved.get(spec.kind);
      return `${spec.kind} ${formatCount(spec.ratePerSecond)}/s${reached === undefined ? '' : ` (${formatCount(reached)} achieved)`}`;
    })
    .join(' + ');
}

/** Whether any tuning assigned a helper: only then do the helper figures get a column. */
export const anyHelpers = (report: LabReport) => report.runs.some((run) => run.tuning.helpers.length > 0);

/** `ftp on 8080/tcp, tftp on 53/udp`: the helpers a tuning assigned, as --compare reads back. */
export const helpersAssigned = (run: TuningResult) =>
  run.tuning.helpers.map((helper) => `${helper.name} on ${helper.port}/${helper.protocol}`).join(', ');

/** What a tuning's helpers did: the entries they tracked and the expectations they set up. */
export function helpersDidText(run: TuningResult): string {
  const { entriesPeak, expectationsPeak, expectationsCreated } = run.helpers;
  return `${helpersAssigned(run)}: ${formatCount(entriesPeak)} entries carried a helper at peak, ${formatCount(expectationsCreated)} expectations set up (${formatCount(expectationsPeak)} at once)`;
}
