import type { LossWindow } from '../lossWindow.js';
import type { NetnsIdentity } from '../status.js';
import type { MitigationPlan } from './mitigationPlan.js';

/** The table as `mitigate` found it, before any change. */
export interface TableBefore {
  count: number;
  max: number;
  buckets: number;
  /** drop + early_drop + insert_failed per second over --interval. */
  lossPerSecond: number;
  netns: NetnsIdentity;
}

/** What applying a mitigation did, and whether the drops stopped. */
export interface MitigationResult {
  applied: boolean;
  journalId: string | null;
  /** Loss over the verification window after the change; null when nothing was changed. */
  after: LossWindow | null;
  relieved: boolean | null;
}

/** One `mitigate` run: the table before, the plan, and what applying it did (null: plan only). */
export interface MitigateReport {
  before: TableBefore;
  plan: MitigationPlan;
  result: MitigationResult | null;
}
