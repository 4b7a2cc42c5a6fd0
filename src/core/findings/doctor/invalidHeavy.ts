import type { InvalidLogging } from '../../conntrackSettings.js';
import type { CounterTotals } from '../../counters.js';
import type { FindingKind } from '../findingKind.js';
import {
  type CounterFinding,
  type CounterFindingPlace,
  INSIDE_TEMPLATE,
  insideNamespace,
} from './counterFinding.js';

/**
 * How many packets conntrack may call invalid before it is worth an operator's minute.
 *
 * A floor, not a share: the share of new entries the issue asks for cannot be had from the counters,
 * because the kernel prints `new` (and `found`) as 0 since the 2020 stat clean-ups (ct_cpu_seq_show;
 * both stay 0 here on 6.18 while entries are created). The loss rules (table-dropping, status's
 * verdict) fire on any rise because every count there is a lost flow; an invalid packet is lost only
 * where a ruleset drops `ct state invalid`, and a healthy host sees a trickle (a retransmission after
 * its entry expired, an RST after close). The count is of packet passes, not packets: one bare ACK
 * to a closed loopback port counted 4 here (the ACK and the RST it draws, each at output and at
 * input). 10/s over the sample is well above that trickle (0/s on this project's quiet namespaces).
 */
export const INVALID_HEAVY_THRESHOLDS = {
  /** Invalid packets per second over status's/doctor's two samples (at least this). */
  minInvalidPerSecond: 10,
  /** nf_conntrack_log_invalid: 6 logs TCP (IPPROTO_TCP), 255 every protocol. */
  logProtocol: 6,
} as const;

const LOG_KEY = 'net.netfilter.nf_conntrack_log_invalid';
const LIBERAL_KEY = 'net.netfilter.nf_conntrack_tcp_be_liberal';
/** Only the initial namespace logs to the kernel log unless this is 1 (seen here on 6.18). */
const ALL_NETNS_KEY = 'net.netfilter.nf_log_all_netns';

export const INVALID_HEAVY: FindingKind = {
  id: 'invalid-heavy:<netns>',
  report: 'doctor',
  when: `the namespace's \`invalid\` counter rises by at least ${INVALID_HEAVY_THRESHOLDS.minInvalidPerSecond}/s over the sample (status shows it too, for its one namespace)`,
  severity: 'warn',
  evidence: ['invalidPerSecond', 'intervalSeconds', 'logInvalidNow?', 'tcpBeLiberalNow?'],
  advice:
    "Conntrack could not place these packets in a connection: usually TCP packets outside the window it tracks (missed packets, a capture point that sees only one direction because routing is asymmetric, offload that hides part of a flow), or mid-stream packets of a flow it never saw. They are only counted until a ruleset drops `ct state invalid`: there they become drops — look for that rule. To confirm a window problem, `nf_conntrack_tcp_be_liberal=1` accepts out-of-window packets (weaker protection against injected packets: set it only to confirm, then restore the value printed). To see the packets for a minute, set `nf_conntrack_log_invalid` (6 = TCP, 255 = all), read the kernel log (`nf_ct_proto_6: invalid …`), then restore the value printed. Both are per namespace; a namespace other than the host's logs nothing to the kernel log unless the host sets `nf_log_all_netns=1` (the commands put back 0, its default: leave it at 1 if it was 1).",
  commands: [
    `${INSIDE_TEMPLATE}nft list ruleset | grep -n 'ct state invalid'`,
    `[sysctl -w ${ALL_NETNS_KEY}=1 && ]${INSIDE_TEMPLATE}sysctl -w ${LOG_KEY}=${INVALID_HEAVY_THRESHOLDS.logProtocol}`,
    'sleep 60; dmesg | grep nf_ct_proto',
    `${INSIDE_TEMPLATE}sysctl -w ${LOG_KEY}=<value read>[ && sysctl -w ${ALL_NETNS_KEY}=0]`,
    `[${INSIDE_TEMPLATE}sysctl -w ${LIBERAL_KEY}=1]`,
    `[${INSIDE_TEMPLATE}sysctl -w ${LIBERAL_KEY}=<value read>]`,
  ],
};

/** `invalid`'s rate when it is at the floor or above, else null (also: which namespaces doctor reads the settings of). */
export function heavyInvalidRate(rates: CounterTotals | null): number | null {
  const perSecond = rates?.invalid;
  return perSecond !== undefined && perSecond >= INVALID_HEAVY_THRESHOLDS.minInvalidPerSecond
    ? perSecond
    : null;
}

/** The invalid-heavy finding, or none when `invalid` rises slower than the floor (or is not read). */
export function invalidHeavyFinding(
  rates: CounterTotals | null,
  intervalSeconds: number,
  place: CounterFindingPlace,
  logging: InvalidLogging,
): CounterFinding[] {
  const perSecond = heavyInvalidRate(rates);
  if (perSecond === null) return [];
  const inside = insideNamespace(place);
  const allNetns = place.initial ? '' : `sysctl -w ${ALL_NETNS_KEY}=1 && `;
  const restoreAll = place.initial ? '' : ` && sysctl -w ${ALL_NETNS_KEY}=0`;
  const commands = [
    `${inside}nft list ruleset | grep -n 'ct state invalid'`,
    `${allNetns}${inside}sysctl -w ${LOG_KEY}=${INVALID_HEAVY_THRESHOLDS.logProtocol}`,
    'sleep 60; dmesg | grep nf_ct_proto',
    // The value read, so the restore puts back what was there (0, the kernel's default, if unread).
    `${inside}sysctl -w ${LOG_KEY}=${logging.logInvalid ?? 0}${restoreAll}`,
  ];
  // Already liberal: out-of-window packets are accepted, so the window is not what makes these.
  if (logging.tcpBeLiberal !== 1)
    commands.push(
      `${inside}sysctl -w ${LIBERAL_KEY}=1`,
      `${inside}sysctl -w ${LIBERAL_KEY}=${logging.tcpBeLiberal ?? 0}`,
    );
  return [
    {
      id: `invalid-heavy:${place.inode}`,
      severity: 'warn',
      title: `${place.label}: ${Math.round(perSecond)} invalid packets/s — conntrack cannot place them in a connection`,
      evidence: {
        invalidPerSecond: Math.round(perSecond),
        intervalSeconds: Number(intervalSeconds.toFixed(1)),
        ...(logging.logInvalid !== null ? { logInvalidNow: logging.logInvalid } : {}),
        ...(logging.tcpBeLiberal !== null ? { tcpBeLiberalNow: logging.tcpBeLiberal } : {}),
      },
      explanation: INVALID_HEAVY.advice,
      fix: { commands },
    },
  ];
}
