import { BUCKETS_KEY, MAX_KEY } from '../core/plan/mitigationPlan.js';
import {
  type DriftRow,
  type OverriddenAssignment,
  type PersistAudit,
  compareDrift,
} from '../core/plan/persistDrift.js';
import { CTDOCTOR_MARK } from '../core/plan/persistPlan.js';
import { parseSysctlConf } from '../core/plan/sysctlConf.js';
import { type KeyResolution, resolveAtBoot } from '../core/plan/sysctlPrecedence.js';
import { kernelDefaults } from '../core/plan/tableSizing.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../core/plan/timeoutDefaults.js';
import { readSysctlTree } from '../host/confTree.js';
import type { HostFacts } from '../host/hostFacts.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';

/** Runtime vs what boot sets (under both appliers) vs ctdoctor's file, and assignments that lose. */
export async function auditPersistence(
  root: string,
  access: SysctlAccess,
  facts: HostFacts,
): Promise<PersistAudit> {
  const tree = await readSysctlTree(root);
  const ours = tree.files.find((file) => file.text?.startsWith(CTDOCTOR_MARK));
  const ourValues = new Map(
    (ours ? parseSysctlConf(ours.text!, ours.path) : []).map((a) => [a.key, a.value]),
  );
  const keys = [...new Set([MAX_KEY, BUCKETS_KEY, ...ourValues.keys()])];
  const defaults = facts.memTotalBytes ? kernelDefaults(facts.memTotalBytes, facts.kernelVersion) : null;
  const defaultOf = (key: string): string | null => {
    if (key === MAX_KEY) return defaults ? String(defaults.max) : null;
    if (key === BUCKETS_KEY) return defaults ? String(defaults.buckets) : null;
    const timeout = KERNEL_DEFAULT_TIMEOUTS[key.replace('net.netfilter.nf_conntrack_', '')];
    return timeout === undefined ? null : String(timeout);
  };
  const rows: DriftRow[] = [];
  const overridden: OverriddenAssignment[] = [];
  for (const boot of resolveAtBoot(tree, keys)) {
    rows.push(
      compareDrift(
        boot,
        (await access.read(boot.key)) ?? null,
        ourValues.get(boot.key) ?? null,
        defaultOf(boot.key),
      ),
    );
    for (const [applier, resolution] of [
      ['systemd-sysctl', boot.systemd],
      ['sysctl --system', boot.procps],
    ] as const)
      for (const lost of losers(resolution)) {
        // One entry per losing line: under procps the winner may be /etc/sysctl.conf itself where
        // systemd names Debian's link to it.
        const same = overridden.find((o) => o.key === lost.key && o.loser === lost.loser);
        if (same) same.appliers.push(applier);
        else overridden.push({ ...lost, appliers: [applier] });
      }
  }
  return { file: ours?.path ?? null, rows, overridden };
}

/** Explicit assignments of another value that the winner overrides. */
function losers(resolution: KeyResolution): Omit<OverriddenAssignment, 'appliers'>[] {
  const winner = resolution.winner;
  if (!winner) return [];
  return resolution.assignments
    .filter((a) => a !== winner && !a.glob && a.value !== winner.value)
    .map((a) => ({
      key: resolution.key,
      loser: `${a.path}:${a.line}`,
      loserValue: a.value!,
      winner: `${winner.path}:${winner.line}`,
      winnerValue: winner.value!,
    }));
}
