import { BUCKETS_KEY, MAX_KEY } from '../core/plan/mitigationPlan.js';
import { type DriftRow, compareDrift } from '../core/plan/persistDrift.js';
import { CTDOCTOR_MARK } from '../core/plan/persistPlan.js';
import { parseSysctlConf } from '../core/plan/sysctlConf.js';
import { effectiveFiles, resolveKeys } from '../core/plan/sysctlPrecedence.js';
import { kernelDefaults } from '../core/plan/tableSizing.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../core/plan/timeoutDefaults.js';
import { readSysctlTree } from '../host/confTree.js';
import type { HostFacts } from '../host/hostFacts.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';

export interface OverriddenAssignment {
  key: string;
  /** The file and line that loses, its value, and the one that wins at boot. */
  loser: string;
  loserValue: string;
  winner: string;
  winnerValue: string;
}

export interface PersistAudit {
  file: string | null;
  rows: DriftRow[];
  overridden: OverriddenAssignment[];
}

/** Runtime vs what boot sets (systemd-sysctl order) vs ctdoctor's file, and assignments that lose. */
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
  const boot = resolveKeys(effectiveFiles(tree.files, 'systemd-sysctl'), keys, 'systemd-sysctl');
  const defaults = facts.memTotalBytes ? kernelDefaults(facts.memTotalBytes, facts.kernelVersion) : null;
  const defaultOf = (key: string): string | null => {
    if (key === MAX_KEY) return defaults ? String(defaults.max) : null;
    if (key === BUCKETS_KEY) return defaults ? String(defaults.buckets) : null;
    const timeout = KERNEL_DEFAULT_TIMEOUTS[key.replace('net.netfilter.nf_conntrack_', '')];
    return timeout === undefined ? null : String(timeout);
  };
  const rows: DriftRow[] = [];
  const overridden: OverriddenAssignment[] = [];
  for (const [i, key] of keys.entries()) {
    const resolution = boot[i]!;
    const winner = resolution.winner;
    const from = winner ? `${winner.path}:${winner.line}` : null;
    rows.push(
      compareDrift(
        key,
        (await access.read(key)) ?? null,
        { value: resolution.value, from },
        ourValues.get(key) ?? null,
        defaultOf(key),
      ),
    );
    for (const assignment of resolution.assignments) {
      if (!winner || assignment === winner || assignment.glob || assignment.value === winner.value) continue;
      overridden.push({
        key,
        loser: `${assignment.path}:${assignment.line}`,
        loserValue: assignment.value!,
        winner: from!,
        winnerValue: winner.value!,
      });
    }
  }
  return { file: ours?.path ?? null, rows, overridden };
}
