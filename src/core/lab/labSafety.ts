import { type LabTuning, changesGlobals } from './labTuning.js';

/**
 * The lowest nf_conntrack_max the lab may set: the host's own namespace is checked against the same
 * max, so it keeps its current count plus a quarter and at least 1,024 entries to grow into while
 * the lab runs (a burst of the host's own flows must not be dropped by a test).
 */
export function globalMaxFloor(hostCount: number): number {
  return hostCount + Math.max(1024, Math.ceil(hostCount / 4));
}

export interface LabSafety {
  /** Why the run must not start, naming the fix; null when it may. */
  refusal: string | null;
  /** What the run will change machine-wide, said before it starts. */
  changes: string[];
  /** The host's namespace tracks traffic and globals change: the operator must say --yes. */
  needsConsent: boolean;
}

export interface HostTable {
  count: number;
  max: number;
  buckets: number;
  /** Whether ctdoctor runs in the initial namespace, the only one where the globals are writable. */
  initialNamespace: boolean;
  root: boolean;
}

export function labSafety(tunings: readonly LabTuning[], host: HostTable, consent: boolean): LabSafety {
  const global = tunings.filter(changesGlobals);
  const changes = global.map(
    (tuning) =>
      `for "${tuning.label}": ${[
        tuning.max === undefined ? '' : `nf_conntrack_max ${host.max} → ${tuning.max}`,
        tuning.buckets === undefined ? '' : `buckets ${host.buckets} → ${tuning.buckets}`,
      ]
        .filter(Boolean)
        .join(', ')} (machine-wide, restored after the run)`,
  );
  const floor = globalMaxFloor(host.count);
  const tooLow = global.find((tuning) => tuning.max !== undefined && tuning.max < floor);
  let refusal: string | null = null;
  if (!host.root) refusal = 'the lab creates network namespaces: run it as root (sudo ctdoctor lab …)';
  else if (global.length > 0 && !host.initialNamespace)
    refusal =
      'max and buckets are machine-wide and writable only from the initial network namespace: run the lab on the host, not in a container, or compare timeouts and NOTRACK only';
  else if (tooLow)
    refusal = `--compare ${tooLow.label}: a max of ${tooLow.max} would leave this host's own table (${host.count} entries) less than ${floor - host.count} entries to grow into: compare a higher max, scale the workload up with the rate, or run the lab on a test machine`;
  const needsConsent = refusal === null && global.length > 0 && host.count > 0 && !consent;
  return { refusal, changes, needsConsent };
}
