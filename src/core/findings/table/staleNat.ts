import type { Finding } from '../../analysis/findings.js';
import type { NatBackend, TableSignals } from '../../analysis/tableSummary.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, timeoutSeconds } from './tableReadings.js';

/**
 * UDP flows DNAT'd to a backend that never answers them (the lab's stale-nat scenario:
 * clients pinned to a dead backend while new ones reach the live one, test/fixtures/tables/stale-nat.*).
 */
export const STALE_NAT_THRESHOLDS = {
  /**
   * Share of the backend's entries never answered. A live backend answers nearly every flow (the
   * healthy-nat capture: none unanswered); one that died keeps the flows it answered only until
   * they time out, while its pinned ones never do: 120 of 150 in the stale-nat capture, taken
   * seconds after the backend was killed.
   */
  minUnrepliedRatio: 0.5,
  /**
   * Each unanswered entry is a client pinned to the dead backend (one socket, one tuple): five
   * clients with an outage are worth a warning whatever their share of the table.
   */
  minPinned: 5,
} as const;

const t = STALE_NAT_THRESHOLDS;

/*
 * Why it lasts and why proxies miss it. NAT is decided on a flow's first packet and kept in its
 * entry; a UDP client that keeps its socket keeps the tuple, and every retry refreshes the entry's
 * nf_conntrack_udp_timeout, so it never expires and the client never reaches the rule that now
 * points elsewhere. kube-proxy deletes UDP entries only for endpoints and services it saw go away
 * (pkg/proxy/conntrack/cleanup.go); it skipped services scaled to zero endpoints until
 * kubernetes/kubernetes#139629 and deleted services until #141371, and a backend that dies without
 * leaving the endpoint list (hung, or killed before its removal was seen) is never cleaned.
 * UDP only: a TCP client that gives up opens a new connection from a new port, NAT'd afresh, so
 * only one attempt's SYN retransmissions (about two minutes) stay pinned; a DNAT'd TCP service
 * whose backend answers no new connection is a rule pointing at a dead backend, not a stale entry.
 */
export const STALE_NAT: FindingKind = {
  id: 'stale-nat',
  report: 'analyze',
  subject: '<vip>:<port>/udp -> <backend>:<backend port>',
  when: `UDP entries DNAT'd from one service to one backend, ≥ ${t.minPinned} of them never answered and they are ≥ ${asPercent(t.minUnrepliedRatio)} of the backend's entries`,
  severity: 'warn (each entry is a client cut off, whatever its share of the table)',
  evidence: ['entries', 'unreplied', 'otherBackends', 'meanRemainingSeconds', 'udpTimeoutSeconds'],
  advice:
    "Clients are pinned to a dead backend: their flows were DNAT'd to it on their first packet, before or while it died, and each retry on the same socket refreshes the entry's nf_conntrack_udp_timeout, so it never expires and they never reach the live backends. A proxy that cleans conntrack on endpoint change misses it when it never saw this endpoint removed (kube-proxy deletes UDP entries only for endpoints and services it saw go away). Delete the pinned entries: the clients' next packet is NAT'd afresh.",
  commands: ['conntrack -D -p udp --orig-dst <vip> --orig-port-dst <port> --reply-src <backend>'],
};

/** "127.0.0.82:5353 40 (0 unanswered)": the service's other backends, a live one shows it moved on. */
function otherBackendsText(backends: readonly NatBackend[], dead: NatBackend): string {
  const others = backends.filter((b) => b.service === dead.service && b.backend !== dead.backend);
  if (others.length === 0) return 'none';
  return others.map((b) => `${b.backend} ${b.entries} (${b.unreplied} unanswered)`).join(', ');
}

function staleNatFinding(readings: TableReadings, dead: NatBackend): Finding {
  const udpTimeout = timeoutSeconds(readings, 'udp_timeout');
  const others = otherBackendsText(readings.summary.signals.natBackends, dead);
  const moved = others === 'none' ? 'it has no other backend in the table' : `its other backends: ${others}`;
  return {
    kind: STALE_NAT.id,
    severity: 'warn',
    subject: `${dead.service} -> ${dead.backend}`,
    evidence: {
      entries: dead.entries,
      unreplied: dead.unreplied,
      otherBackends: others,
      meanRemainingSeconds: dead.meanRemainingSeconds,
      udpTimeoutSeconds: udpTimeout,
    },
    advice:
      `${dead.unreplied} clients of ${dead.service} are pinned to ${dead.backend}, which never answered them (its ${dead.entries - dead.unreplied} answered entries are older flows, kept until they time out; ${moved}). ` +
      `Their entries were DNAT'd on the first packet, before or while the backend died; each retry on the same socket refreshes nf_conntrack_udp_timeout (${udpTimeout} s; ~${dead.meanRemainingSeconds} s left on average), so they never expire. ` +
      'A proxy that cleans conntrack on endpoint change misses them when it never saw this endpoint removed (kube-proxy deletes UDP entries only for endpoints and services it saw go away). ' +
      "Delete them: the clients' next packet is NAT'd afresh by the current rules.",
    commands: [
      `conntrack -D -p udp --orig-dst ${dead.vip} --orig-port-dst ${dead.port} --reply-src ${dead.backendAddress}`,
    ],
  };
}

/** The service's (or every) UDP backends that pin clients: entries a flood must not claim. */
export function staleBackends(signals: TableSignals, service?: string): NatBackend[] {
  return signals.natBackends.filter(
    (b) =>
      (service === undefined || b.service === service) &&
      b.proto === 'udp' &&
      b.unreplied >= t.minPinned &&
      b.unreplied >= t.minUnrepliedRatio * b.entries,
  );
}

function detectStaleNat(readings: TableReadings): Finding[] {
  return staleBackends(readings.summary.signals).map((b) => staleNatFinding(readings, b));
}

export const staleNatRule: TableRule = { kinds: [STALE_NAT], detect: detectStaleNat };
