import { CtdoctorError } from '../core/errors.js';
import type { LossWindow } from '../core/lossWindow.js';
import type { MitigationPlan } from '../core/plan/mitigationPlan.js';
import type { MitigationResult } from '../core/plan/mitigationResult.js';
import { resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import type { HostRoots } from '../host/roots.js';
import { type SysctlAccess, sysctlAccess } from '../host/sysctlAccess.js';
import { lossTotal } from '../core/lossWindow.js';
import { withChangeLock } from './changeLock.js';
import { sysctlSteps } from './changeSteps.js';
import { undoContextOf } from './changeUndo.js';
import type { Journal } from './journal.js';
import { applyJournaled } from './journaledApply.js';

/**
 * The sysctls nf_conntrack_max and _buckets are written through: they are global, so only root in
 * the host's initial network namespace can write them (a child namespace sees them read-only).
 */
export async function tableSizeAccess(roots: HostRoots): Promise<SysctlAccess> {
  if (process.getuid?.() !== 0)
    throw new CtdoctorError('permission', 'changing nf_conntrack_max needs root: run with sudo');
  const self = await resolveNetns(undefined, roots);
  if (!self.initial) {
    throw new CtdoctorError(
      'read-only',
      "nf_conntrack_max and buckets are global and writable only from the host's initial network namespace: run ctdoctor on the host (not in a container or child netns)",
    );
  }
  return sysctlAccess(netnsFiles(self, roots), roots);
}

/**
 * Makes exactly the plan's changes (buckets first when growing) under the change lock, journaled as
 * `command`; returns the journal id, or null when every value already was as planned.
 */
export async function applyTableSize(
  plan: MitigationPlan,
  access: SysctlAccess,
  journal: Journal,
  command: string,
): Promise<string | null> {
  if (plan.refusal) throw new CtdoctorError('refused', plan.refusal);
  return withChangeLock(journal, async () => {
    // Read under the lock: a value something else raised since the plan was made is never lowered.
    for (const change of plan.changes) {
      const now = await access.read(change.key);
      if (now !== undefined && now !== String(change.from))
        throw new CtdoctorError(
          'refused',
          `${change.key} is ${now}, not the ${change.from} this plan was made for: something else changed it; plan again`,
        );
    }
    const id = journal.newId();
    const steps = await sysctlSteps(
      access,
      plan.changes.map((change) => ({ key: change.key, to: String(change.to) })),
    );
    const made = await applyJournaled({ journal, id, command, undo: undoContextOf(access) }, steps);
    return made.length > 0 ? id : null;
  });
}

/** Executes exactly the plan's changes, journals them, then verifies relief. */
export async function applyMitigation(
  plan: MitigationPlan,
  access: SysctlAccess,
  journal: Journal,
  verify: () => Promise<LossWindow>,
): Promise<MitigationResult> {
  if (plan.refusal) throw new CtdoctorError('refused', plan.refusal);
  if (plan.changes.length === 0) return { applied: false, journalId: null, after: null, relieved: null };
  const journalId = await applyTableSize(plan, access, journal, 'mitigate');
  const after = await verify();
  return { applied: true, journalId, after, relieved: lossTotal(after) === 0 };
}
