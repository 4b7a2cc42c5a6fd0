import { CtdoctorError } from '../core/errors.js';
import type { LossWindow } from '../core/lossWindow.js';
import type { MitigationPlan } from '../core/plan/mitigationPlan.js';
import type { MitigationResult } from '../core/plan/mitigationResult.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import { lossTotal } from '../core/lossWindow.js';
import { withChangeLock } from './changeLock.js';
import { sysctlSteps } from './changeSteps.js';
import { undoContextOf } from './changeUndo.js';
import type { Journal } from './journal.js';
import { applyJournaled } from './journaledApply.js';

/** Executes exactly the plan's changes (buckets first when growing), journals them, then verifies relief. */
export async function applyMitigation(
  plan: MitigationPlan,
  access: SysctlAccess,
  journal: Journal,
  verify: () => Promise<LossWindow>,
): Promise<MitigationResult> {
  if (plan.refusal) throw new CtdoctorError('refused', plan.refusal);
  if (plan.changes.length === 0) return { applied: false, journalId: null, after: null, relieved: null };
  const journalId = await withChangeLock(journal, async () => {
    const id = journal.newId();
    const steps = await sysctlSteps(
      access,
      plan.changes.map((change) => ({ key: change.key, to: String(change.to) })),
    );
    const made = await applyJournaled(
      { journal, id, command: 'mitigate', undo: undoContextOf(access) },
      steps,
    );
    return made.length > 0 ? id : null;
  });
  const after = await verify();
  return { applied: true, journalId, after, relieved: lossTotal(after) === 0 };
}
