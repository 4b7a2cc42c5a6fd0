import type { Finding } from '../analysis/findings.js';
import { type ProtectedAddress, blockConflicts, parseNetwork } from '../firewall/blockGuards.js';

/** An address `block --from-findings` takes: an offender a finding names, with what it holds. */
export interface FindingOffender {
  address: string;
  /** The finding that accuses it, `<kind>:<subject>` as doctor's ids read. */
  finding: string;
  entries: number;
  share: string;
}

/** An offender left out: it is loopback, this host, its gateway, the SSH session or allowlisted. */
export interface SkippedOffender extends FindingOffender {
  why: string;
}

export interface OffenderSelection {
  offenders: FindingOffender[];
  skipped: SkippedOffender[];
}

/**
 * The addresses findings accuse (their `offenders`), and nothing else: never a table-wide top
 * list, never a finding's subject read as an address. An offender that a protected address
 * covers is skipped even with --force: --force is for an address the operator typed, not for
 * one a heuristic picked. An address named by two findings is listed once, for the first.
 */
export function selectOffenders(
  findings: readonly Finding[],
  protectedAddresses: ProtectedAddress[],
): OffenderSelection {
  const selection: OffenderSelection = { offenders: [], skipped: [] };
  const seen = new Set<string>();
  for (const finding of findings) {
    for (const offender of finding.offenders ?? []) {
      const network = parseNetwork(offender.address);
      if (seen.has(network.text)) continue;
      seen.add(network.text);
      const named = {
        address: network.text,
        finding: `${finding.kind}:${finding.subject}`,
        entries: offender.entries,
        share: offender.share,
      };
      const conflicts = blockConflicts(network, protectedAddresses);
      if (conflicts.length > 0)
        selection.skipped.push({ ...named, why: conflicts.map((c) => c.why).join(', ') });
      else selection.offenders.push(named);
    }
  }
  return selection;
}
