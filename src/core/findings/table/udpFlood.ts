import type { Finding } from '../../analysis/findings.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import {
  type TableReadings,
  type TableRule,
  MIN_ENTRIES,
  enoughEntries,
  percent,
  timeoutSeconds,
} from './tableReadings.js';
import { severityFor, severityText } from './tableSeverity.js';

/**
 * Heuristics from the lab's flood scenario (300 sources to 127.0.0.1:53, test/fixtures/tables/
 * udp-flood.*): a tenth of the table unanswered UDP is not a DNS client's normal retries.
 */
export const UDP_FLOOD_THRESHOLDS = {
  /** Share of the table the UNREPLIED UDP entries hold. */
  minShare: 0.1,
  /** Share of them going to the top port (and, to name one target, to the top destination). */
  minPortShare: 0.5,
} as const;

const t = UDP_FLOOD_THRESHOLDS;

/**
 * The per-source rate of new flows the suggested limit lets through, and its burst: a starting
 * point, not a measurement. A stub resolver sends a query or two per name and retries after
 * seconds (resolv.conf(5): timeout 5 s, attempts 2), so a client that opens more than 20 new
 * flows a second to one port for longer than a 40-flow burst is not resolving names.
 */
export const UDP_FLOOD_RATE_LIMIT = { newFlowsPerSecond: 20, burst: 40 } as const;

const r = UDP_FLOOD_RATE_LIMIT;

/**
 * A per-source limit of new flows to the service, dropped in the input hook at filter priority:
 * conntrack has made the entry by then but inserts it only when the packet leaves the last hook
 * (nf_conntrack_confirm), so a drop here frees it and the table never holds it. Checked with
 * nft 1.0.6 and iptables 1.8.9 (nf_tables) by test/kernel/udpFloodAdvice.test.ts.
 */
export function rateLimitRules(port: string, destination: string | null): { nft: string; iptables: string } {
  const v6 = destination?.includes(':') ?? false;
  const daddr = destination ? `${v6 ? 'ip6' : 'ip'} daddr ${destination} ` : '';
  const saddr = v6 ? 'ip6 saddr' : 'ip saddr';
  const name = `udp${port}_new`;
  const nft =
    `nft 'add table inet ctdoctor_ratelimit; ` +
    `add chain inet ctdoctor_ratelimit input { type filter hook input priority filter; policy accept; }; ` +
    `add rule inet ctdoctor_ratelimit input ${daddr}udp dport ${port} ct state new ` +
    `meter ${name} { ${saddr} timeout 60s limit rate over ${r.newFlowsPerSecond}/second burst ${r.burst} packets } drop'`;
  const iptables =
    `${v6 ? 'ip6tables' : 'iptables'} -I INPUT -p udp${destination ? ` -d ${destination}` : ''} --dport ${port} ` +
    `-m conntrack --ctstate NEW -m hashlimit --hashlimit-mode srcip --hashlimit-above ${r.newFlowsPerSecond}/second ` +
    `--hashlimit-burst ${r.burst} --hashlimit-name ${name} -j DROP`;
  return { nft, iptables };
}

export const UDP_FLOOD: FindingKind = {
  id: 'udp-flood',
  report: 'analyze',
  subject: '<destination>:<port>/udp or udp/<port>',
  when: `UNREPLIED UDP entries hold ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}), ≥ ${asPercent(t.minPortShare)} of them to one port; the subject names the destination when ≥ ${asPercent(t.minPortShare)} of them go to the table's top destination`,
  severity: severityText('warn'),
  evidence: ['entries', 'shareOfTable', 'distinctSources', 'tableWideTopSources', 'udpTimeoutSeconds'],
  advice:
    "Unanswered UDP flows to one port from many sources. In this order: if the service is stateless, exempt it from tracking; otherwise limit each source's rate of new flows to it (the nft meter or iptables hashlimit rule below: " +
    `${r.newFlowsPerSecond}/s, burst ${r.burst}). Each entry lingers nf_conntrack_udp_timeout. ` +
    "tableWideTopSources are the table's busiest sources, not necessarily the flood's: the finding names no offender, so do not block them.",
  commands: [
    'ctdoctor notrack --port <port> --proto udp',
    rateLimitRules('<port>', null)
      .nft.replace(' udp dport', '[ <ip> daddr <destination>] udp dport')
      .replace('ip saddr', '<ip> saddr'),
    rateLimitRules('<port>', null)
      .iptables.replace(/^iptables/, '<iptables>')
      .replace(' --dport', '[ -d <destination>] --dport'),
    'iptables -t raw -A PREROUTING -p udp --dport <port> -j CT --notrack',
  ],
};

function detectUdpFlood(readings: TableReadings): Finding[] {
  const { summary, context } = readings;
  const signals = summary.signals;
  if (!enoughEntries(readings, signals.udpUnreplied, t.minShare)) return [];
  const topPort = signals.udpUnrepliedPorts[0];
  if (!topPort || topPort.count < t.minPortShare * signals.udpUnreplied) return [];
  const port = topPort.key.split('/')[1]!;
  // A flood dominates the table-wide destinations, so the top one names its target. The
  // table-wide sources are another matter: on a busy server they are its legitimate clients.
  const topDestination = summary.top.dst[0];
  const oneTarget = topDestination && topDestination.count >= t.minPortShare * signals.udpUnreplied;
  const destination = oneTarget ? topDestination.key : null;
  const subject = destination ? `${destination}:${port}/udp` : `udp/${port}`;
  const tableWideTopSources = summary.top.src.slice(0, 3).map((source) => source.key);
  const udpTimeout = timeoutSeconds(readings, 'udp_timeout');
  const limit = rateLimitRules(port, destination);
  return [
    {
      kind: UDP_FLOOD.id,
      severity: severityFor(topPort.count / summary.entries, context, summary.entries, 'warn'),
      subject,
      evidence: {
        entries: topPort.count,
        shareOfTable: percent(topPort.count, summary.entries),
        distinctSources: signals.udpUnrepliedDistinctSources,
        tableWideTopSources: tableWideTopSources.join(', '),
        udpTimeoutSeconds: udpTimeout,
      },
      advice:
        `${topPort.count} unanswered UDP flows to ${subject} from ~${signals.udpUnrepliedDistinctSources} sources. ` +
        `In this order: if the service is stateless, exempt it from tracking (notrack); otherwise limit each source to ${r.newFlowsPerSecond} new flows a second (burst ${r.burst}) with the nft meter or iptables hashlimit rule. ` +
        `Each entry lingers nf_conntrack_udp_timeout (${udpTimeout} s). ` +
        "tableWideTopSources are the table's busiest sources, not necessarily the flood's: this finding names no offender, so do not block them.",
      commands: [
        `ctdoctor notrack --port ${port} --proto udp`,
        limit.nft,
        limit.iptables,
        `iptables -t raw -A PREROUTING -p udp --dport ${port} -j CT --notrack`,
      ],
    },
  ];
}

export const udpFloodRule: TableRule = { kinds: [UDP_FLOOD], detect: detectUdpFlood };
