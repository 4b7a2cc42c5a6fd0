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

export const UDP_FLOOD: FindingKind = {
  id: 'udp-flood',
  report: 'analyze',
  subject: '<destination>:<port>/udp or udp/<port>',
  when: `UNREPLIED UDP entries hold ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}), ≥ ${asPercent(t.minPortShare)} of them to one port; the subject names the destination when ≥ ${asPercent(t.minPortShare)} of them go to the table's top destination`,
  severity: severityText('warn'),
  evidence: ['entries', 'shareOfTable', 'distinctSources', 'topSourcesOverall', 'udpTimeoutSeconds'],
  advice:
    'Unanswered UDP flows to one port from many sources (the loudest sources in the table are listed). If the service is stateless, exempt it from tracking; rate-limit or block the top sources; each lingers nf_conntrack_udp_timeout.',
  commands: [
    'ctdoctor notrack --port <port> --proto udp',
    'ctdoctor block --from-findings',
    'iptables -t raw -A PREROUTING -p udp --dport <port> -j CT --notrack',
  ],
};

function detectUdpFlood(readings: TableReadings): Finding[] {
  const { summary, context } = readings;
  const signals = summary.signals;
  if (!enoughEntries(readings, signals.udpUnreplied, t.minShare)) return [];
  const topPort = signals.udpUnrepliedPorts[0];
  if (!topPort || topPort.count < t.minPortShare * signals.udpUnreplied) return [];
  const port = topPort.key.split('/')[1];
  // The table-wide top lists name the target and the loudest sources: a flood dominates them.
  const topDestination = summary.top.dst[0];
  const oneTarget = topDestination && topDestination.count >= t.minPortShare * signals.udpUnreplied;
  const subject = oneTarget ? `${topDestination.key}:${port}/udp` : `udp/${port}`;
  const sources = summary.top.src.slice(0, 3).map((source) => source.key);
  const udpTimeout = timeoutSeconds(readings, 'udp_timeout');
  return [
    {
      kind: UDP_FLOOD.id,
      severity: severityFor(topPort.count / summary.entries, context, summary.entries, 'warn'),
      subject,
      evidence: {
        entries: topPort.count,
        shareOfTable: percent(topPort.count, summary.entries),
        distinctSources: signals.udpUnrepliedDistinctSources,
        topSourcesOverall: sources.join(', '),
        udpTimeoutSeconds: udpTimeout,
      },
      advice: `${topPort.count} unanswered UDP flows to ${subject} from ~${signals.udpUnrepliedDistinctSources} sources (the loudest sources in the table are listed). If the service is stateless, exempt it from tracking; rate-limit or block the top sources; each lingers nf_conntrack_udp_timeout (${udpTimeout} s).`,
      commands: [
        `ctdoctor notrack --port ${port} --proto udp`,
        `ctdoctor block --from-findings`,
        `iptables -t raw -A PREROUTING -p udp --dport ${port} -j CT --notrack`,
      ],
    },
  ];
}

export const udpFloodRule: TableRule = { kinds: [UDP_FLOOD], detect: detectUdpFlood };
