import type { Finding } from '../../analysis/findings.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';
import { severityFor, severityText } from './tableSeverity.js';

/**
 * Heuristics from the lab's scan scenario (200 SYNs to 200 ports, test/fixtures/tables/scan.*): a
 * client retrying a dead service touches one port and one host; a busy client gets most answers.
 */
export const PORT_SCAN_THRESHOLDS = {
  /** Share of the table the source's UNREPLIED/SYN_SENT entries hold. */
  minShare: 0.01,
  /** Distinct ports, or hosts (a sweep), they reach. */
  minDistinct: 50,
  /** Share of the source's entries that are unanswered. */
  minUnrepliedRatio: 0.8,
} as const;

/** 127.0.0.0/8 and ::1: traffic from this host itself, never something to block. */
export function isLoopbackText(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

const t = PORT_SCAN_THRESHOLDS;

export const PORT_SCAN: FindingKind = {
  id: 'port-scan',
  report: 'analyze',
  subject: '<source address>',
  when: `one source's UNREPLIED/SYN_SENT entries hold ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}), reach ≥ ${t.minDistinct} ports or hosts, and are ≥ ${asPercent(t.minUnrepliedRatio)} of its entries`,
  severity: severityText('warn'),
  evidence: ['entries', 'shareOfTable', 'distinctPorts', 'distinctHosts', 'pattern'],
  offenders:
    'the source, with its never-answered entries (a loopback source is named too, but block never takes loopback or this host)',
  advice:
    'The source holds never-answered entries across many ports (port scan) or hosts (host sweep): block it before conntrack and flush its entries. A loopback source is a local process: find and stop it, then flush.',
  commands: [
    'ctdoctor block --ip <source> --ttl 1h --apply',
    'iptables -t raw -I PREROUTING -s <source> -j DROP && conntrack -D -s <source>',
    'ss -tuanp src <source>',
    'conntrack -D -s <source>',
  ],
};

function detectPortScan(readings: TableReadings): Finding[] {
  const total = readings.summary.entries;
  const findings: Finding[] = [];
  for (const candidate of readings.summary.signals.scanCandidates) {
    if (!enoughEntries(readings, candidate.entries, t.minShare)) continue;
    const spread = Math.max(candidate.distinctPorts, candidate.distinctHosts);
    const ratio = candidate.totalEntries > 0 ? candidate.entries / candidate.totalEntries : 1;
    if (spread < t.minDistinct || ratio < t.minUnrepliedRatio) continue;
    const sweep = candidate.distinctPorts < t.minDistinct ? 'host sweep' : 'port scan';
    const local = isLoopbackText(candidate.src);
    findings.push({
      kind: PORT_SCAN.id,
      severity: severityFor(candidate.entries / total, readings.context, total, 'warn'),
      subject: candidate.src,
      evidence: {
        entries: candidate.entries,
        shareOfTable: percent(candidate.entries, total),
        distinctPorts: candidate.distinctPorts,
        distinctHosts: candidate.distinctHosts,
        pattern: sweep,
      },
      offenders: [
        { address: candidate.src, entries: candidate.entries, share: percent(candidate.entries, total) },
      ],
      advice: local
        ? `${candidate.src} is this host (loopback): a local process holds ${candidate.entries} never-answered entries across ~${candidate.distinctPorts} ports and ~${candidate.distinctHosts} hosts (${sweep}); find and stop it, then flush its entries.`
        : `${candidate.src} holds ${candidate.entries} never-answered entries across ~${candidate.distinctPorts} ports and ~${candidate.distinctHosts} hosts (${sweep}); block it before conntrack and flush its entries.`,
      commands: local
        ? [`ss -tuanp src ${candidate.src}`, `conntrack -D -s ${candidate.src}`]
        : [
            `ctdoctor block --ip ${candidate.src} --ttl 1h --apply`,
            `iptables -t raw -I PREROUTING -s ${candidate.src} -j DROP && conntrack -D -s ${candidate.src}`,
          ],
    });
  }
  return findings;
}

export const portScanRule: TableRule = { kinds: [PORT_SCAN], detect: detectPortScan };
