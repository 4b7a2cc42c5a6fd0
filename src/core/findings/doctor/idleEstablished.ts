import { SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS } from '../../analysis/establishedIdle.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace, netnsFlag } from './namespaceWords.js';

/**
 * ESTABLISHED entries idle for longer than a day are held only by a timeout above a day (the
 * kernel's 5 days): worth a finding once they are many, absolutely or as a share of the table.
 */
export const IDLE_ESTABLISHED_THRESHOLDS = {
  /** Idle entries, at least. */
  minEntries: 100,
  /** Share of the namespace's count, at least (whichever of the two is larger). */
  minShare: 0.1,
} as const;

const t = IDLE_ESTABLISHED_THRESHOLDS;
const DAY = SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS;

export const IDLE_ESTABLISHED: FindingKind = {
  id: 'idle-established:<netns>',
  report: 'doctor',
  when: `nf_conntrack_tcp_timeout_established is above ${DAY} s and the namespace holds at least max(${t.minEntries}, ${asPercent(t.minShare)} of its count) ESTABLISHED entries idle for over a day`,
  severity: 'warn',
  evidence: ['idleOverDay', 'tcpTimeoutEstablished'],
  advice:
    "An ESTABLISHED entry lives 5 days after its last packet by default; peers that vanished without FIN/RST hold entries that long. A shorter timeout applies from each entry's next packet; idle ones need flushing.",
  commands: [`ctdoctor timeouts --set tcp_timeout_established=${DAY} --apply --flush-idle[ --netns <netns>]`],
};

function detectIdleEstablished(ns: NamespaceReadings, host: DoctorInput): DoctorFinding[] {
  const idle = ns.establishedIdleOverDay ?? 0;
  const timeout = host.timeouts.tcp_timeout_established ?? 0;
  if (idle <= 0 || timeout <= DAY || !ns.status) return [];
  if (idle < Math.max(t.minEntries, t.minShare * ns.status.count)) return [];
  return [
    {
      id: `idle-established:${ns.inode}`,
      severity: 'warn',
      title: `${describeNamespace(ns)}: ${idle} ESTABLISHED entries idle for over a day, held by the ${timeout} s timeout`,
      evidence: { idleOverDay: idle, tcpTimeoutEstablished: timeout },
      explanation: IDLE_ESTABLISHED.advice,
      fix: {
        commands: [
          `ctdoctor timeouts --set tcp_timeout_established=${DAY} --apply --flush-idle${netnsFlag(ns)}`,
        ],
      },
      netns: ns.inode,
    },
  ];
}

export const idleEstablishedRule: NamespaceRule = {
  kinds: [IDLE_ESTABLISHED],
  detect: detectIdleEstablished,
};
