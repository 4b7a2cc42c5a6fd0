import type { HostFacts } from '../hostFacts.js';
import { BUCKETS_KEY, MAX_KEY } from './mitigationPlan.js';
import { type DriftRow, compareDrift } from './persistDrift.js';
import { CTDOCTOR_MARK } from './persistPlan.js';
import { parseSysctlConf } from './sysctlConf.js';
import {
  type KeyResolution,
  type SysctlApplier,
  type SysctlTree,
  resolveAtBoot,
} from './sysctlPrecedence.js';
import { kernelDefaults } from './tableSizing.js';
import { KERNEL_DEFAULT_TIMEOUTS } from './timeoutDefaults.js';

export interface OverriddenAssignment {
  key: string;
  /** The file and line that loses, its value, and the one that wins at boot. */
  loser: string;
  loserValue: string;
  winner: string;
  winnerValue: string;
  /** Under which appliers it loses: both, or only one (/etc/sysctl.conf is read by procps alone). */
  appliers: SysctlApplier[];
}

export interface PersistAudit {
  file: string | null;
  rows: DriftRow[];
  overridden: OverriddenAssignment[];
}

/** What the audit reads: the sysctl.d tree under --root, and the runtime value of every audited key. */
export interface PersistenceState {
  tree: SysctlTree;
  /** Runtime value by key; null when the key cannot be read here. */
  runtime: Record<string, string | null>;
}

/** ctdoctor's own file in the tree, and the values it sets. */
function ownFile(tree: SysctlTree) {
  const ours = tree.files.find((file) => file.text?.startsWith(CTDOCTOR_MARK));
  const values = new Map((ours ? parseSysctlConf(ours.text!, ours.path) : []).map((a) => [a.key, a.value]));
  return { path: ours?.path ?? null, values };
}

/** max and buckets, and every key ctdoctor's file sets. */
export function auditedKeys(tree: SysctlTree): string[] {
  return [...new Set([MAX_KEY, BUCKETS_KEY, ...ownFile(tree).values.keys()])];
}

/** Runtime vs what boot sets (under both appliers) vs ctdoctor's file, and assignments that lose. */
export function auditPersistenceState(
  state: PersistenceState,
  facts: Pick<HostFacts, 'memTotalBytes' | 'kernelVersion'>,
): PersistAudit {
  const ours = ownFile(state.tree);
  const defaults = facts.memTotalBytes ? kernelDefaults(facts.memTotalBytes, facts.kernelVersion) : null;
  const defaultOf = (key: string): string | null => {
    if (key === MAX_KEY) return defaults ? String(defaults.max) : null;
    if (key === BUCKETS_KEY) return defaults ? String(defaults.buckets) : null;
    const timeout = KERNEL_DEFAULT_TIMEOUTS[key.replace('net.netfilter.nf_conntrack_', '')];
    return timeout === undefined ? null : String(timeout);
  };
  const rows: DriftRow[] = [];
  const overridden: OverriddenAssignment[] = [];
  for (const boot of resolveAtBoot(state.tree, auditedKeys(state.tree))) {
    rows.push(
      compareDrift(
        boot,
        state.runtime[boot.key] ?? null,
        ours.values.get(boot.key) ?? null,
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
  return { file: ours.path, rows, overridden };
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

/** In sync: every key holds, at runtime and at boot, what ctdoctor's file says. */
export function auditInSync(audit: PersistAudit): boolean {
  return audit.rows.every((row) => row.inSync);
}
