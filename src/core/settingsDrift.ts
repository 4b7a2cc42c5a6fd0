/** A conntrack setting whose value differs between two readings. */
export interface SettingChange {
  /** The sysctl's name under net/netfilter, e.g. `nf_conntrack_max`. */
  setting: string;
  from: number;
  to: number;
}

/**
 * What changed from `before` to `after`. A setting in only one of them is not a change: it appears
 * when a protocol module loads (nf_conntrack_sctp_*), which is no one tuning anything.
 */
export function changedSettings(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const [setting, to] of Object.entries(after)) {
    const from = before[setting];
    if (from !== undefined && from !== to) changes.push({ setting, from, to });
  }
  return changes.sort((a, b) => a.setting.localeCompare(b.setting));
}

/**
 * Processes known to write conntrack sysctls (their comm, at most 15 characters): kube-proxy at
 * every start (max, tcp_timeout_established and _close_wait), tuned profiles, sysctl(8) and
 * systemd-sysctl applying sysctl.d, container engines and CNI agents setting up namespaces.
 */
export const KNOWN_TUNERS: readonly string[] = [
  'kube-proxy',
  'tuned',
  'sysctl',
  'systemd-sysctl',
  'containerd',
  'dockerd',
  'crio',
  'kubelet',
  'cilium-agent',
  'calico-node',
  'k3s-server',
  'k3s-agent',
];

export interface ProcessStart {
  pid: number;
  comm: string;
  startedAtMs: number;
}

/** A sysctl change ctdoctor journaled (src/actions/journal.ts), as the attribution needs it. */
export interface JournaledSysctl {
  id: string;
  command: string;
  timeMs: number;
  /** `net.netfilter.nf_conntrack_max`. */
  key: string;
  after: string;
}

const SYSCTL_PREFIX = 'net.netfilter.';

/**
 * How long before the previous reading a writer may have begun: ctdoctor journals a change just
 * before it writes it, kube-proxy writes its sysctls a moment after it starts, and either may
 * straddle that reading. The value must also match (journal) or the writer be a known tuner, so
 * the slack rarely names the wrong one.
 */
export const ATTRIBUTION_SLACK_MS = 5000;

export interface AttributionEvidence {
  journal: readonly JournaledSysctl[];
  processes: readonly ProcessStart[];
  /** The change happened after the previous reading of the setting and before this one. */
  sinceMs: number;
  nowMs: number;
}

/** ctdoctor's journal entry that wrote `change` since the previous reading (less the slack), if any. */
export function journaledChange(
  change: SettingChange,
  evidence: AttributionEvidence,
): JournaledSysctl | undefined {
  const sinceMs = evidence.sinceMs - ATTRIBUTION_SLACK_MS;
  return evidence.journal
    .filter(
      (entry) =>
        entry.key === SYSCTL_PREFIX + change.setting &&
        Number(entry.after) === change.to &&
        entry.timeMs >= sinceMs,
    )
    .sort((a, b) => b.timeMs - a.timeMs)[0];
}

/**
 * Who made `change`, when it can be told: ctdoctor itself when its journal holds the same value
 * written since the previous reading (less the slack); else the most recently started known tuner
 * started since then (a one-shot `sysctl -w` has usually exited by the time the change is seen, so it is rarely
 * found); else undefined.
 */
export function whoChanged(change: SettingChange, evidence: AttributionEvidence): string | undefined {
  const sinceMs = evidence.sinceMs - ATTRIBUTION_SLACK_MS;
  const journaled = journaledChange(change, evidence);
  if (journaled) return `ctdoctor ${journaled.command} (journal ${journaled.id})`;
  const tuner = evidence.processes
    .filter((process) => KNOWN_TUNERS.includes(process.comm) && process.startedAtMs >= sinceMs)
    .sort((a, b) => b.startedAtMs - a.startedAtMs)[0];
  if (!tuner) return undefined;
  const seconds = Math.max(0, Math.round((evidence.nowMs - tuner.startedAtMs) / 1000));
  return `${tuner.comm} (pid ${tuner.pid}, started ${seconds} s before)`;
}

/** A conntrack setting that changed between two of serve's samples (ctdoctor's own changes marked). */
export interface DriftEvent extends SettingChange {
  atMs: number;
  /** The namespace whose setting changed; a global setting (max, buckets) names the initial namespace. */
  netns: number;
  /** Who changed it when it can be told (e.g. "kube-proxy (pid 812, started 4 s before)"); undefined otherwise. */
  who: string | undefined;
  /**
   * The ctdoctor command that made the change (its journal has it: `serve --auto-relief`,
   * `mitigate --apply`); undefined when something else did. Only the others' changes are drift to
   * alert on and count; ctdoctor's own are journaled, and rollback undoes them.
   */
  byCtdoctor: string | undefined;
}
