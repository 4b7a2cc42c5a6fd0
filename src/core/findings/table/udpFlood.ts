import type { Finding, Offender } from '../../analysis/findings.js';
import type { UnrepliedService } from '../../analysis/tableSummary.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { DEAD_UPSTREAM, DEAD_UPSTREAM_THRESHOLDS, isDeadUpstream } from './deadUpstream.js';
import { isLoopbackText } from './portScan.js';
import { SHOWN_SOURCES, sourceSharesText } from './serviceClasses.js';
import { staleBackends } from './staleNat.js';
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
 * Heuristics from the lab's flood scenarios (300 sources to 127.0.0.1:53, and 200 sources beside
 * one that sends 300 flows, test/fixtures/tables/udp-flood*): a tenth of the table unanswered UDP
 * to one service is not its clients' normal retries.
 */
export const UDP_FLOOD_THRESHOLDS = {
  /** Share of the table one service's UNREPLIED UDP entries hold. */
  minShare: 0.1,
} as const;

/**
 * Who of a flood's sources is an offender, the only addresses it may suggest blocking. A tenth of
 * the flood: a spoofed flood spreads over hundreds of sources, none of them material (blocking one
 * frees nothing). Half of MIN_ENTRIES: a stub resolver sends at most attempts × nameservers
 * (resolv.conf(5): 2 × 3) flows a name, so 50 unanswered flows held at once is no client retrying;
 * below it, a block frees less than the rate limit already caps.
 */
export const UDP_FLOOD_OFFENDER = { minShareOfFlood: 0.1, minEntries: MIN_ENTRIES / 2 } as const;

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
  subject: '<destination>:<port>/udp',
  when: `one service's UNREPLIED UDP entries (less those pinned to a stale-nat backend) hold ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}), and it is no ${DEAD_UPSTREAM.id} (it answered some flows, or more than ${DEAD_UPSTREAM_THRESHOLDS.maxDistinctSources} sources send them)`,
  severity: severityText('warn'),
  evidence: [
    'entries',
    'shareOfTable',
    'distinctSources',
    'floodTopSources',
    'answered',
    'udpTimeoutSeconds',
  ],
  offenders: `the flood's sources that each hold ≥ ${asPercent(UDP_FLOOD_OFFENDER.minShareOfFlood)} of its entries (and ≥ ${UDP_FLOOD_OFFENDER.minEntries}); a spoofed flood has none. A loopback source is named too, but block never takes loopback or this host`,
  advice:
    "Unanswered UDP flows to one service from many sources. In this order: if the service is stateless, exempt it from tracking; otherwise limit each source's rate of new flows to it (the nft meter or iptables hashlimit rule below: " +
    `${r.newFlowsPerSecond}/s, burst ${r.burst}); only then block the offenders the finding names (sources holding a material share of the flood by themselves), never its other sources. Each entry lingers nf_conntrack_udp_timeout.`,
  commands: [
    'ctdoctor notrack --port <port> --proto udp',
    rateLimitRules('<port>', '<destination>')
      .nft.replace('ip daddr', '<ip> daddr')
      .replace('ip saddr', '<ip> saddr'),
    rateLimitRules('<port>', '<destination>').iptables.replace(/^iptables/, '<iptables>'),
    'iptables -t raw -A PREROUTING -p udp --dport <port> -j CT --notrack',
    'ctdoctor block --from-findings --ttl 1h',
    'ss -uanp src <offender>',
  ],
};

/** The flood's sources that hold a material share of it by themselves. */
function floodOffenders(service: UnrepliedService, tableEntries: number): Offender[] {
  const o = UDP_FLOOD_OFFENDER;
  return service.topSources
    .filter(
      (source) => source.entries >= o.minEntries && source.entries >= o.minShareOfFlood * service.entries,
    )
    .map((source) => ({
      address: source.source,
      entries: source.entries,
      share: percent(source.entries, tableEntries),
    }));
}

function offenderAdvice(offenders: Offender[]): string {
  if (offenders.length === 0)
    return 'No source holds a material share of the flood by itself (spoofed or spread): there is no one to block; do not block its busiest sources.';
  const named = offenders.map((o) => `${o.address} (${o.entries} flows)`).join(', ');
  return offenders.some((o) => !isLoopbackText(o.address))
    ? `Then block only the offenders it names, ${named}: review the plan of ctdoctor block --from-findings, then --apply it. Its other sources are not accused.`
    : `Its offenders ${named} are this host (loopback): find the process and stop it.`;
}

function floodCommands(service: UnrepliedService, offenders: Offender[]): string[] {
  const limit = rateLimitRules(String(service.port), service.destination);
  return [
    `ctdoctor notrack --port ${service.port} --proto udp`,
    limit.nft,
    limit.iptables,
    `iptables -t raw -A PREROUTING -p udp --dport ${service.port} -j CT --notrack`,
    ...(offenders.some((o) => !isLoopbackText(o.address)) ? ['ctdoctor block --from-findings --ttl 1h'] : []),
    ...offenders
      .filter((o) => isLoopbackText(o.address))
      .slice(0, SHOWN_SOURCES)
      .map((o) => `ss -uanp src ${o.address}`),
  ];
}

function floodFinding(readings: TableReadings, service: UnrepliedService): Finding {
  const { summary, context } = readings;
  const total = summary.entries;
  const udpTimeout = timeoutSeconds(readings, 'udp_timeout');
  const offenders = floodOffenders(service, total);
  return {
    kind: UDP_FLOOD.id,
    severity: severityFor(service.entries / total, context, total, 'warn'),
    subject: service.service,
    evidence: {
      entries: service.entries,
      shareOfTable: percent(service.entries, total),
      distinctSources: service.distinctSources,
      floodTopSources: sourceSharesText(service.topSources, service.entries),
      answered: service.answered,
      udpTimeoutSeconds: udpTimeout,
    },
    ...(offenders.length > 0 ? { offenders } : {}),
    advice:
      `${service.entries} unanswered UDP flows to ${service.service} from ~${service.distinctSources} sources (${service.answered} of its flows answered). ` +
      `In this order: if the service is stateless, exempt it from tracking (notrack); otherwise limit each source to ${r.newFlowsPerSecond} new flows a second (burst ${r.burst}) with the nft meter or iptables hashlimit rule. ` +
      `${offenderAdvice(offenders)} Each entry lingers nf_conntrack_udp_timeout (${udpTimeout} s).`,
    commands: floodCommands(service, offenders),
  };
}

/**
 * The service's unanswered entries a flood may claim: not those pinned to a dead DNAT backend
 * (stale-nat's), which are the service's own clients retrying.
 */
function unexplainedEntries(readings: TableReadings, service: UnrepliedService): number {
  const pinned = staleBackends(readings.summary.signals, service.service);
  return service.entries - pinned.reduce((sum, backend) => sum + backend.unreplied, 0);
}

function detectUdpFlood(readings: TableReadings): Finding[] {
  return readings.summary.signals.unrepliedServices
    .filter((service) => service.proto === 'udp' && !isDeadUpstream(readings, service))
    .filter((service) => enoughEntries(readings, unexplainedEntries(readings, service), t.minShare))
    .map((service) => floodFinding(readings, service));
}

export const udpFloodRule: TableRule = { kinds: [UDP_FLOOD], detect: detectUdpFlood };
