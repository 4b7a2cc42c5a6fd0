import { type CounterTotals, formatRate } from '../../counters.js';
import { type KernelVersion, clashResolutionOf } from '../../kernelInfo.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import {
  type CounterFinding,
  type CounterFindingPlace,
  INSIDE_TEMPLATE,
  insideNamespace,
} from './counterFinding.js';

/**
 * DNS must be a visible part of the table for insert_failed to be blamed on it: the A/AAAA race
 * (glibc's parallel queries from one socket) needs UDP/53 flows to race.
 */
export const DNS_INSERT_RACE_THRESHOLDS = {
  /** Share of the table's entries going to udp/53 (more than this). */
  minDnsShare: 0.05,
} as const;

const RESOLVER_FIX =
  'echo "options single-request-reopen" >> /etc/resolv.conf   # in the client (container); or single-request, or use-vc for TCP';
const CACHE_FIX = 'run a node-local DNS cache (e.g. NodeLocal DNSCache)';

export const DNS_INSERT_RACE: FindingKind = {
  id: 'dns-insert-race:<netns>',
  report: 'doctor',
  when: `insert_failed rises in the namespace, beyond what the chain limit explains (chaintoolong), and more than ${asPercent(DNS_INSERT_RACE_THRESHOLDS.minDnsShare)} of its entries are udp/53; status, which walks no table, reports the rise alone`,
  severity: 'warn when the udp/53 share confirms it (doctor); info in status, which cannot see the share',
  evidence: [
    'insertFailedPerSecond',
    'clashResolvePerSecond',
    'clashResolvePresent',
    'udp53Share?',
    'kernelRelease',
  ],
  advice:
    'glibc sends the A and AAAA queries from one socket at once; both packets race to confirm the same conntrack tuple and the loser is dropped (insert_failed): the client waits out a 5 s resolver timeout. Kernels with clash resolution (4.19 for identical entries, 5.6 for entries NATed to different backends; 5.10 counts clash_resolve) let the loser through instead. On the client side: `options single-request-reopen` (the two queries from different sockets, so different tuples), `single-request` (one query at a time) or `use-vc` (TCP) in resolv.conf (musl ignores them), or a node-local DNS cache, which turns the race into one long-lived flow.',
  commands: [RESOLVER_FIX, CACHE_FIX, `${INSIDE_TEMPLATE}conntrack -S`, 'ctdoctor doctor[ --netns <netns>]'],
};

export interface DnsInsertRaceReadings {
  rates: CounterTotals | null;
  /** The counters the kernel gave: their names say whether it counts clash_resolve at all. */
  counters: CounterTotals | null;
  kernel: KernelVersion;
  /** Share of the table's entries that are udp/53; null where no table was walked (status). */
  udp53Share: number | null;
  /** ` --netns X` ('' on the host) for status to suggest `ctdoctor doctor`; null from doctor itself. */
  doctorFlag: string | null;
}

/** The dns-insert-race finding, or none when insert_failed is flat or the table shows no DNS. */
export function dnsInsertRaceFinding(
  readings: DnsInsertRaceReadings,
  place: CounterFindingPlace,
): CounterFinding[] {
  const { rates, udp53Share } = readings;
  // A chain over the kernel's random 50–79 limit counts insert_failed too: that is not the race.
  const failed = Math.max(0, (rates?.insert_failed ?? 0) - (rates?.chaintoolong ?? 0));
  if (failed <= 0) return [];
  if (udp53Share !== null && udp53Share <= DNS_INSERT_RACE_THRESHOLDS.minDnsShare) return [];
  const present = readings.counters !== null && 'clash_resolve' in readings.counters;
  const clash = clashResolutionOf(readings.kernel, present);
  const commands = [RESOLVER_FIX, CACHE_FIX, `${insideNamespace(place)}conntrack -S`];
  if (readings.doctorFlag !== null) commands.push(`ctdoctor doctor${readings.doctorFlag}`);
  return [
    {
      id: `dns-insert-race:${place.inode}`,
      severity: udp53Share === null ? 'info' : 'warn',
      title:
        udp53Share === null
          ? `${place.label}: insert_failed rising (${formatRate(failed)}/s) — if it sends DNS over UDP, the parallel A/AAAA race (no table walked, so its udp/53 share is unknown)`
          : `${place.label}: insert_failed rising (${formatRate(failed)}/s) with ${asPercent(udp53Share)} of entries udp/53 — the parallel A/AAAA race`,
      evidence: {
        insertFailedPerSecond: Number(failed.toFixed(1)),
        clashResolvePerSecond: Number((rates?.clash_resolve ?? 0).toFixed(1)),
        clashResolvePresent: present ? 'yes' : 'no',
        ...(udp53Share !== null ? { udp53Share: Number(udp53Share.toFixed(3)) } : {}),
        kernelRelease: readings.kernel.release,
      },
      explanation: `${DNS_INSERT_RACE.advice} Here: ${clash}.`,
      fix: { commands },
    },
  ];
}
