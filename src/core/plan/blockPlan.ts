import { type Network, type ProtectedAddress, blockConflicts } from '../firewall/blockGuards.js';
import { CtdoctorError } from '../errors.js';

export interface BlockPlan {
  targets: Network[];
  ttlSeconds: number | null;
  refused: { target: string; conflicts: ProtectedAddress[] }[];
}

/** The block to make; targets that cover a protected address are refused unless forced. */
export function planBlock(
  targets: Network[],
  ttlSeconds: number | null,
  protectedAddresses: ProtectedAddress[],
  force: boolean,
): BlockPlan {
  const refused = targets
    .map((target) => ({ target: target.text, conflicts: blockConflicts(target, protectedAddresses) }))
    .filter((entry) => entry.conflicts.length > 0);
  return { targets, ttlSeconds, refused: force ? [] : refused };
}

/** Why the plan must not be applied (its first refused target), or null. */
export function blockRefusal(plan: BlockPlan): CtdoctorError | null {
  const first = plan.refused[0];
  if (!first) return null;
  return new CtdoctorError(
    'refused',
    `refusing to block ${first.target}: it covers ${first.conflicts.map((c) => `${c.network.text} (${c.why})`).join(', ')}; use --force if you are sure`,
  );
}
