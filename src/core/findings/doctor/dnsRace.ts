import { asPercent, type FindingKind } from '../findingKind.js';
import type { DoctorFinding, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace } from './namespaceWords.js';

/**
 * DNS must be a visible part of the table for insert_failed/clash_resolve to be blamed on it: the
 * A/AAAA race (glibc's parallel queries from one socket) needs UDP/53 flows to race.
 */
export const DNS_RACE_THRESHOLDS = {
  /** Share of the table's entries going to udp/53 (more than this). */
  minDnsShare: 0.05,
} as const;

const COMMANDS = [
  'echo "options single-request-reopen" >> /etc/resolv.conf   # or use-vc',
  'run a node-local DNS cache (e.g. NodeLocal DNSCache)',
];

export const DNS_RACE: FindingKind = {
  id: 'dns-race:<netns>',
  report: 'doctor',
  when: `insert_failed or clash_resolve rise in the namespace and more than ${asPercent(DNS_RACE_THRESHOLDS.minDnsShare)} of its entries are udp/53`,
  severity: 'warn',
  evidence: ['insertFailedPerSecond', 'clashResolvePerSecond', 'udp53Share'],
  advice:
    'glibc sends A and AAAA queries from one socket at once; both race to insert the same conntrack tuple and one can lose (insert_failed), which looks like a 5 s DNS timeout. Kernels with clash resolution count clash_resolve instead of dropping.',
  commands: COMMANDS,
};

function detectDnsRace(ns: NamespaceReadings): DoctorFinding[] {
  const rates = ns.status?.rates;
  if (!rates) return [];
  const racing = (rates.insert_failed ?? 0) > 0 || (rates.clash_resolve ?? 0) > 0;
  if (!racing || (ns.dnsShare ?? 0) <= DNS_RACE_THRESHOLDS.minDnsShare) return [];
  return [
    {
      id: `dns-race:${ns.inode}`,
      severity: 'warn',
      title: `${describeNamespace(ns)}: insert_failed/clash_resolve rising with DNS traffic — the parallel A/AAAA race`,
      evidence: {
        insertFailedPerSecond: rates.insert_failed ?? 0,
        clashResolvePerSecond: rates.clash_resolve ?? 0,
        udp53Share: Number((ns.dnsShare ?? 0).toFixed(3)),
      },
      explanation: DNS_RACE.advice,
      fix: { commands: [...COMMANDS] },
      netns: ns.inode,
    },
  ];
}

export const dnsRaceRule: NamespaceRule = { kinds: [DNS_RACE], detect: detectDnsRace };
