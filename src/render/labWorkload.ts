import type { LabReport } from '../core/lab/labResult.js';
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
