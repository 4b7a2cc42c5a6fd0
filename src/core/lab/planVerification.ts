import type { CapacityPlan } from '../plan/capacityPlan.js';
import type { LabReport } from './labResult.js';

/** `plan --verify`: the plan the lab checked, with what the lab measured beside what it predicted. */
export interface VerifiedPlan extends CapacityPlan {
  measured: {
    /** Steady-state live entries: the mean of the lab's table dumps after the steady point. */
    entries: number | null;
    /** The highest nf_conntrack_count (what the max is checked against; expired entries included). */
    countPeak: number;
    drops: number;
    successRatio: number | null;
    pool: { wanted: number; survived: number } | null;
  };
  verify: {
    /** (measured − predicted) / predicted entries; null without a steady measurement. */
    error: number | null;
    /** The lab's rates are the plan's × this (capped to what its generators make). */
    scale: number;
    seconds: number;
    /** The timeouts the lab ran (and so the plan predicted) with. */
    timeouts: Record<string, number>;
    /** The max the lab ran with: the plan's recommendation. */
    max: number;
    lab: LabReport;
  };
}

export function verifiedPlan(plan: CapacityPlan, report: LabReport, scale: number): VerifiedPlan {
  const run = report.runs[0];
  const entries = run?.steady?.liveEntries ?? null;
  return {
    ...plan,
    measured: {
      entries,
      countPeak: run?.peakEntries ?? 0,
      drops: run?.drops.total ?? 0,
      successRatio: run?.successRatio ?? null,
      pool: run?.longPool ? { wanted: run.longPool.wanted, survived: run.longPool.survived } : null,
    },
    verify: {
      error:
        entries === null || plan.predicted.entries === 0
          ? null
          : (entries - plan.predicted.entries) / plan.predicted.entries,
      scale,
      seconds: report.seconds,
      timeouts: run?.settings.timeouts ?? {},
      max: run?.settings.max ?? plan.recommended.max,
      lab: report,
    },
  };
}
