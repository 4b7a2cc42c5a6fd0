import { REFLECTION_PORTS } from './tableAggregator.js';
import { type Finding, type Severity, bySeverity } from './findings.js';
import type { TableSummary } from './tableSummary.js';

/**
 * Detector thresholds. Shares are of the entries analysed (the table, or the sample). Every finding
 * also needs `minEntries` entries: a small table is never "under attack", and a healthy table
 * yields nothing.
 */
export const DETECTOR_THRESHOLDS = {
  minEntries: 100,
  /** One source whose UNREPLIED/SYN_SENT entries hold ≥ 1 % of the table and hit ≥ 50 ports or hosts, ≥ 80 % of its entries. */
  portScan: { minShare: 0.01, minDistinct: 50, minUnrepliedRatio: 0.8 },
  /** UNREPLIED UDP entries ≥ 10 % of the table, ≥ 50 % of them to one port or from one reflection source port. */
  udpFlood: { minShare: 0.1, minPortShare: 0.5 },
  /** TIME_WAIT ≥ 30 % of the table. */
  timeWait: { minShare: 0.3 },
  /** One client→server:port pair ≥ 5 % of the table, ≥ 50 % of its entries with > 1 h left. */
  establishedLeak: { minShare: 0.05, minLongLivedRatio: 0.5 },
  /** UNREPLIED ≥ 50 % of the table. */
  unrepliedHeavy: { minShare: 0.5 },
  /** Entries of protocols conntrack has no tracker for (generic, 600 s) ≥ 10 %. */
  unknownProtocol: { minShare: 0.1 },
  /** NATed entries ≥ 50 %: they cannot be exempted with NOTRACK. */
  natHeavy: { minShare: 0.5 },
} as const;

/** Kernel defaults (seconds) used when the live values are not known (a saved dump). */
const DEFAULT_TIMEOUTS: Record<string, number> = {
  tcp_timeout_established: 432000,
  tcp_timeout_time_wait: 120,
  udp_timeout: 30,
};

export interface DetectorContext {
  /** nf_conntrack_max, when known: shares of the limit decide severity. */
  max?: number;
  /** Live timeout values by short name (e.g. tcp_timeout_established). */
  timeouts?: Record<string, number>;
}

/** 127.0.0.0/8 and ::1: traffic from this host itself, never something to block. */
export function isLoopbackText(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(part / whole < 0.1 ? 1 : 0)}%` : '0%';
}

/** A pattern holding half the table is critical when the table is under pressure. */
function severityFor(
  share: number,
  context: DetectorContext,
  entries: number,
  floor: Severity = 'info',
): Severity {
  const pressured = context.max === undefined || entries / context.max >= 0.8;
  if (share >= 0.5 && pressured) return 'crit';
  if (share >= 0.2 || floor === 'warn') return 'warn';
  return floor;
}

export function detectTableFindings(summary: TableSummary, context: DetectorContext = {}): Finding[] {
  const t = DETECTOR_THRESHOLDS;
  const total = summary.entries;
  const findings: Finding[] = [];
  const enough = (count: number, share: number) => count >= t.minEntries && count >= share * total;
  const timeout = (name: string) => context.timeouts?.[name] ?? DEFAULT_TIMEOUTS[name]!;
  const signals = summary.signals;

  for (const candidate of signals.scanCandidates) {
    if (!enough(candidate.entries, t.portScan.minShare)) continue;
    const spread = Math.max(candidate.distinctPorts, candidate.distinctHosts);
    const ratio = candidate.totalEntries > 0 ? candidate.entries / candidate.totalEntries : 1;
    if (spread < t.portScan.minDistinct || ratio < t.portScan.minUnrepliedRatio) continue;
    const sweep = candidate.distinctPorts < t.portScan.minDistinct ? 'host sweep' : 'port scan';
    const local = isLoopbackText(candidate.src);
    findings.push({
      kind: 'port-scan',
      severity: severityFor(candidate.entries / total, context, total, 'warn'),
      subject: candidate.src,
      evidence: {
        entries: candidate.entries,
        shareOfTable: percent(candidate.entries, total),
        distinctPorts: candidate.distinctPorts,
        distinctHosts: candidate.distinctHosts,
        pattern: sweep,
      },
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

  if (enough(signals.udpUnreplied, t.udpFlood.minShare)) {
    const topPort = signals.udpUnrepliedPorts[0];
    if (topPort && topPort.count >= t.udpFlood.minPortShare * signals.udpUnreplied) {
      const port = topPort.key.split('/')[1];
      // The table-wide top lists name the target and the loudest sources: a flood dominates them.
      const topDestination = summary.top.dst[0];
      const oneTarget =
        topDestination && topDestination.count >= t.udpFlood.minPortShare * signals.udpUnreplied;
      const subject = oneTarget ? `${topDestination.key}:${port}/udp` : `udp/${port}`;
      const sources = summary.top.src.slice(0, 3).map((source) => source.key);
      findings.push({
        kind: 'udp-flood',
        severity: severityFor(topPort.count / total, context, total, 'warn'),
        subject,
        evidence: {
          entries: topPort.count,
          shareOfTable: percent(topPort.count, total),
          distinctSources: signals.udpUnrepliedDistinctSources,
          topSourcesOverall: sources.join(', '),
          udpTimeoutSeconds: timeout('udp_timeout'),
        },
        advice: `${topPort.count} unanswered UDP flows to ${subject} from ~${signals.udpUnrepliedDistinctSources} sources (the loudest sources in the table are listed). If the service is stateless, exempt it from tracking; rate-limit or block the top sources; each lingers nf_conntrack_udp_timeout (${timeout('udp_timeout')} s).`,
        commands: [
          `ctdoctor notrack --port ${port} --proto udp`,
          `ctdoctor block --from-findings`,
          `iptables -t raw -A PREROUTING -p udp --dport ${port} -j CT --notrack`,
        ],
      });
    }
  }

  REFLECTION_PORTS.forEach((port) => {
    const count = signals.reflection.bySourcePort[String(port)] ?? 0;
    if (!enough(count, t.udpFlood.minShare)) return;
    const reflectors = signals.reflection.topSources.slice(0, 3).map((source) => source.key);
    findings.push({
      kind: 'udp-flood',
      severity: severityFor(count / total, context, total, 'warn'),
      subject: `udp source port ${port} (reflection)`,
      evidence: { entries: count, shareOfTable: percent(count, total), topSources: reflectors.join(', ') },
      advice: `${count} unanswered UDP entries come FROM port ${port}: responses nobody asked for, typical of a reflection/amplification attack on this host. Drop them before conntrack and ask upstream to filter.`,
      commands: [`iptables -t raw -I PREROUTING -p udp --sport ${port} -j DROP`],
    });
  });

  const timeWait = summary.by.state.TIME_WAIT ?? 0;
  if (enough(timeWait, t.timeWait.minShare)) {
    const seconds = timeout('tcp_timeout_time_wait');
    findings.push({
      kind: 'time-wait-pile',
      severity: severityFor(timeWait / total, context, total),
      subject: 'TIME_WAIT',
      evidence: { entries: timeWait, shareOfTable: percent(timeWait, total), timeoutSeconds: seconds },
      advice: `${timeWait} closed TCP connections are held ${seconds} s each by nf_conntrack_tcp_timeout_time_wait (short-lived connections without keep-alive). Reuse connections (pooling, HTTP keep-alive); a shorter conntrack TIME_WAIT (e.g. 30 s) frees them sooner. net.ipv4.tcp_tw_reuse affects sockets, not conntrack entries.`,
      commands: [
        'ctdoctor timeouts --set tcp_timeout_time_wait=30',
        'sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30',
      ],
    });
  }

  const established = timeout('tcp_timeout_established');
  for (const pair of signals.establishedPairs) {
    if (!enough(pair.entries, t.establishedLeak.minShare)) continue;
    if (pair.longLived < t.establishedLeak.minLongLivedRatio * pair.entries) continue;
    const subject = `${pair.client} -> ${pair.server}:${pair.port}`;
    const freedAtDay = entriesIdleLongerThan(signals.establishedRemainingHours, established, 86400);
    findings.push({
      kind: 'established-leak',
      severity: severityFor(pair.entries / total, context, total, 'warn'),
      subject,
      evidence: {
        entries: pair.entries,
        shareOfTable: percent(pair.entries, total),
        longLived: pair.longLived,
        meanRemainingSeconds: pair.meanRemainingSeconds,
        establishedTimeoutSeconds: established,
        freedByTimeout86400: freedAtDay,
      },
      advice: `${pair.client} holds ${pair.entries} ESTABLISHED connections to ${pair.server}:${pair.port} (a pool that never closes, or leaked sockets); fix the pool size/idle timeout in the client. A 24 h nf_conntrack_tcp_timeout_established (kube-proxy's choice) would free ~${freedAtDay} idle entries table-wide now; check long-lived SSH/DB sessions first.`,
      commands: [
        `ctdoctor timeouts --set tcp_timeout_established=86400`,
        `conntrack -L -p tcp --state ESTABLISHED -s ${pair.client} -d ${pair.server} --dport ${pair.port}`,
      ],
    });
  }

  const unreplied = signals.unreplied;
  if (enough(unreplied, t.unrepliedHeavy.minShare)) {
    findings.push({
      kind: 'unreplied-heavy',
      severity: findings.some((finding) => finding.kind === 'port-scan' || finding.kind === 'udp-flood')
        ? 'info'
        : severityFor(unreplied / total, context, total, 'warn'),
      subject: 'UNREPLIED',
      evidence: { entries: unreplied, shareOfTable: percent(unreplied, total) },
      advice: `${percent(unreplied, total)} of the table never saw a reply: scans, floods, blackholed destinations or clients retrying dead services. Look at the top sources and ports below; shorter UDP/SYN timeouts free them faster.`,
      commands: [
        'ctdoctor analyze --filter "flag=UNREPLIED" --group-by src,dport',
        'conntrack -L --status UNREPLIED',
      ],
    });
  }

  const unknown = Object.entries(summary.by.proto)
    .filter(([name]) => name.startsWith('unknown'))
    .reduce((sum, [, count]) => sum + count, 0);
  if (enough(unknown, t.unknownProtocol.minShare)) {
    findings.push({
      kind: 'invalid-or-unknown',
      severity: 'warn',
      subject: 'unknown protocols',
      evidence: { entries: unknown, shareOfTable: percent(unknown, total) },
      advice: `${unknown} entries use protocols conntrack tracks generically (nf_conntrack_generic_timeout, 600 s by default): tunnels or odd traffic. NOTRACK them if they need no state, or shorten the generic timeout.`,
      commands: ['sysctl -w net.netfilter.nf_conntrack_generic_timeout=120'],
    });
  }

  const natted = total - (summary.by.nat.none ?? 0);
  if (enough(natted, t.natHeavy.minShare)) {
    findings.push({
      kind: 'nat-heavy',
      severity: 'info',
      subject: 'NAT',
      evidence: {
        entries: natted,
        shareOfTable: percent(natted, total),
        snat: summary.by.nat.snat ?? 0,
        dnat: summary.by.nat.dnat ?? 0,
      },
      advice: `${percent(natted, total)} of entries are NATed (SNAT/masquerade or DNAT, e.g. Docker/Kubernetes services): they need conntrack and cannot be exempted with NOTRACK; size the table for them.`,
      commands: ['ctdoctor mitigate'],
    });
  }
  return findings.sort(bySeverity);
}

/** ESTABLISHED entries idle longer than `newTimeout` (remaining < current − new): freed by lowering it. */
export function entriesIdleLongerThan(
  remainingHours: number[],
  currentSeconds: number,
  newSeconds: number,
): number {
  const limitHours = (currentSeconds - newSeconds) / 3600;
  let freed = 0;
  for (let hour = 0; hour < remainingHours.length; hour++)
    if (hour + 1 <= limitHours) freed += remainingHours[hour]!;
  return freed;
}
