import type { HelperPlanItem, HelperStatus } from './conntrackHelpers.js';

/** `ctdoctor helpers`: each known helper, the plan for it (same order), and what --apply did. */
export interface HelpersResult {
  helpers: HelperStatus[];
  plan: HelperPlanItem[];
  /** True when --apply unloaded helpers (there were some to unload). */
  applied: boolean;
  /** The journal entry of the unload; null when nothing was changed. */
  journalId: string | null;
}
