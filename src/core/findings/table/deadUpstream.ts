import type { Finding } from '../../analysis/findings.js';
import type { UnrepliedService } from '../../analysis/tableSummary.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { isLoopbackText } from './portScan.js';
import { isDnatService, sourceSharesText } from './serviceClasses.js';
import { type TableReadings, type TableRule, percent, timeoutSeconds } from './tableReadings.js';
import { severityFor, severityText } from './tableSeverity.js';

/**
 * Clients retrying a destination that never answers: from the lab's dead-resolver and dead-upstream
 * scenarios (a handful of clients, 30 retries each, test/fixtures/tables/dead-upstream-*).
 */
export const DEAD_UPSTREAM_THRESHOLDS = {
  /** Each retry is an entry: 20 is a few clients retrying a few names, more than one lost packet. */
  minEntries: 20,
  /**
   * "Several clients or this host": a fleet shares one resolver list or upstream, a spoofed flood
   * brings hundreds of sources (the captured flood: 300). Above this it is judged as a flood.
   */
  maxDistinctSources: 64,
  /** Below this share of the table it costs little: info; above it, a warning. */
  warnShare: 0.1,
} as const;

/**
 * The shorter timeouts that free the retries sooner. UDP: a stub resolver retries after 5 s
 * (resolv.conf(5) `timeout`), so 10 s still covers a query and its retry. SYN_SENT: Linux
 * retransmits a SYN after 1, 2, 4, 8, 16 and 32 s (tcp_syn_retries = 6) and each refreshes the
 * entry, so 60 s keeps every attempt tracked while halving the kernel's 120 s hold.
 */
export const DEAD_UPSTREAM_TIMEOUTS = { udp_timeout: 10, tcp_timeout_syn_sent: 60 } as const;

const t = DEAD_UPSTREAM_THRESHOLDS;

/** Which timeout holds a never-answered entry of the protocol, and the shorter one suggested. */
function holdingTimeout(proto: string): { name: 'udp_timeout' | 'tcp_timeout_syn_sent'; suggested: number } {
  const name = proto === 'udp' ? 'udp_timeout' : 'tcp_timeout_syn_sent';
  return { name, suggested: DEAD_UPSTREAM_TIMEOUTS[name] };
}

/**
 * A service that never answered any of its clients, who are few: UDP UNREPLIED, or TCP whose
 * unanswered entries can all be SYN_SENT (a TCP entry picked up mid-stream, e.g. by asymmetric
 * routing, is UNREPLIED in ESTABLISHED: a routing matter, not a dead service). A DNAT'd service
 * is left to stale-nat: there the dead address is a backend the clients never chose.
 */
export function isDeadUpstream(readings: TableReadings, service: UnrepliedService): boolean {
  const { summary } = readings;
  if (service.proto !== 'udp' && service.proto !== 'tcp') return false;
  if (service.answered > 0 || service.entries < t.minEntries) return false;
  if (service.distinctSources > t.maxDistinctSources) return false;
  if (service.proto === 'tcp' && service.entries > (summary.by.state.SYN_SENT ?? 0)) return false;
  return !isDnatService(summary.signals, service);
}

export const DEAD_UPSTREAM: FindingKind = {
  id: 'dead-upstream',
  report: 'analyze',
  subject: '<destination>:<port>/<proto>',
  when: `UNREPLIED UDP entries, or TCP ones in SYN_SENT, to one address:port that answered none of its flows, ≥ ${t.minEntries} entries from at most ${t.maxDistinctSources} sources, not DNAT'd (more sources: a flood; DNAT'd: stale-nat)`,
  severity: `info below ${asPercent(t.warnShare)} of the table; from there, ${severityText('warn')}`,
  evidence: [
    'entries',
    'shareOfTable',
    'clients',
    'distinctClients',
    'answered',
    'timeout',
    'timeoutSeconds',
  ],
  advice:
    "The destination never answers (dead, or dropped on the way) and its clients keep retrying; each retry is an entry held the protocol's unanswered timeout. Fix the clients' configuration: the resolver list (/etc/resolv.conf) or the upstream's address. Then a shorter nf_conntrack_udp_timeout (UDP) or nf_conntrack_tcp_timeout_syn_sent (TCP) frees the retries sooner. The clients are not attackers; do not block them. A few sources hammering a closed port look the same: if these clients are not yours, treat it as a flood (rate limit their new flows).",
  commands: [
    'ctdoctor timeouts --set udp_timeout=10',
    'ctdoctor timeouts --set tcp_timeout_syn_sent=60',
    'conntrack -L -p <proto>[ -f ipv6] -d <destination> --dport <port>',
    'conntrack -D -p <proto>[ -f ipv6] -d <destination> --dport <port>',
  ],
};

function clientsText(service: UnrepliedService): string {
  const local = service.topSources.length > 0 && service.topSources.every((s) => isLoopbackText(s.source));
  const count = `${service.distinctSources} client${service.distinctSources === 1 ? '' : 's'}`;
  return `${count}${local ? ' on this host' : ''} (${sourceSharesText(service.topSources, service.entries)})`;
}

function deadUpstreamFinding(readings: TableReadings, service: UnrepliedService): Finding {
  const { summary, context } = readings;
  const total = summary.entries;
  const share = service.entries / total;
  const timeout = holdingTimeout(service.proto);
  const seconds = timeoutSeconds(readings, timeout.name);
  const family = service.destination.includes(':') ? ' -f ipv6' : '';
  const match = `-p ${service.proto}${family} -d ${service.destination} --dport ${service.port}`;
  const what =
    service.proto === 'udp'
      ? `${service.entries} unanswered UDP flows`
      : `${service.entries} connection attempts in SYN_SENT`;
  const fix =
    service.proto === 'udp'
      ? "fix the clients' configuration (the resolver list in /etc/resolv.conf, or the upstream's address in theirs)"
      : 'fix the address the clients connect to (or bring the service back)';
  return {
    kind: DEAD_UPSTREAM.id,
    severity: severityFor(share, context, total, share >= t.warnShare ? 'warn' : 'info'),
    subject: service.service,
    evidence: {
      entries: service.entries,
      shareOfTable: percent(service.entries, total),
      clients: sourceSharesText(service.topSources, service.entries),
      distinctClients: service.distinctSources,
      answered: 0,
      timeout: `nf_conntrack_${timeout.name}`,
      timeoutSeconds: seconds,
    },
    advice:
      `${service.service} never answers: ${what} from ${clientsText(service)}, none answered, each held nf_conntrack_${timeout.name} (${seconds} s). ` +
      `It is dead or dropped on the way: ${fix}; then a ${timeout.suggested} s nf_conntrack_${timeout.name} frees the retries sooner. ` +
      'The clients are not attackers; do not block them. If these clients are not yours, treat it as a flood from few sources (rate limit their new flows).',
    commands: [
      `ctdoctor timeouts --set ${timeout.name}=${timeout.suggested}`,
      `conntrack -L ${match}`,
      `conntrack -D ${match}`,
    ],
  };
}

function detectDeadUpstream(readings: TableReadings): Finding[] {
  return readings.summary.signals.unrepliedServices
    .filter((service) => isDeadUpstream(readings, service))
    .map((service) => deadUpstreamFinding(readings, service));
}

export const deadUpstreamRule: TableRule = { kinds: [DEAD_UPSTREAM], detect: detectDeadUpstream };
