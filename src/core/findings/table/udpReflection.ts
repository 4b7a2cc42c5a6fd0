import type { Finding } from '../../analysis/findings.js';
import { REFLECTION_PORTS } from '../../analysis/tableAggregator.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';
import { UDP_FLOOD_THRESHOLDS } from './udpFlood.js';
import { severityFor, severityText } from './tableSeverity.js';

/** A reflection flood is a UDP flood: the same share of the table makes one. */
export const UDP_REFLECTION_THRESHOLDS = { minShare: UDP_FLOOD_THRESHOLDS.minShare } as const;

export const UDP_REFLECTION: FindingKind = {
  id: 'udp-flood',
  report: 'analyze',
  subject: 'udp source port <port> (reflection)',
  when: `unanswered UDP entries FROM one amplifier port (${REFLECTION_PORTS.join(', ')}) hold ≥ ${asPercent(UDP_REFLECTION_THRESHOLDS.minShare)} of the table (and ≥ ${MIN_ENTRIES})`,
  severity: severityText('warn'),
  evidence: ['entries', 'shareOfTable', 'topSources'],
  advice:
    'Unanswered UDP entries come FROM an amplifier port: responses nobody asked for, typical of a reflection/amplification attack on this host. Drop them before conntrack and ask upstream to filter.',
  commands: ['iptables -t raw -I PREROUTING -p udp --sport <port> -j DROP'],
};

function detectUdpReflection(readings: TableReadings): Finding[] {
  const { summary, context } = readings;
  const reflection = summary.signals.reflection;
  const findings: Finding[] = [];
  for (const port of REFLECTION_PORTS) {
    const count = reflection.bySourcePort[String(port)] ?? 0;
    if (!enoughEntries(readings, count, UDP_REFLECTION_THRESHOLDS.minShare)) continue;
    const reflectors = reflection.topSources.slice(0, 3).map((source) => source.key);
    findings.push({
      kind: UDP_REFLECTION.id,
      severity: severityFor(count / summary.entries, context, summary.entries, 'warn'),
      subject: `udp source port ${port} (reflection)`,
      evidence: {
        entries: count,
        shareOfTable: percent(count, summary.entries),
        topSources: reflectors.join(', '),
      },
      advice: `${count} unanswered UDP entries come FROM port ${port}: responses nobody asked for, typical of a reflection/amplification attack on this host. Drop them before conntrack and ask upstream to filter.`,
      commands: [`iptables -t raw -I PREROUTING -p udp --sport ${port} -j DROP`],
    });
  }
  return findings;
}

export const udpReflectionRule: TableRule = { kinds: [UDP_REFLECTION], detect: detectUdpReflection };
