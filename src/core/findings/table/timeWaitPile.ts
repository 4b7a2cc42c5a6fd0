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

/** Heuristic from the lab's churn scenario (test/fixtures/tables/time-wait.*): 300 short connections. */
export const TIME_WAIT_THRESHOLDS = {
  /** Share of the table in TIME_WAIT: closed connections held nf_conntrack_tcp_timeout_time_wait. */
  minShare: 0.3,
} as const;

const COMMANDS = [
  'ctdoctor timeouts --set tcp_timeout_time_wait=30',
  'sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30',
] as const;

export const TIME_WAIT_PILE: FindingKind = {
  id: 'time-wait-pile',
  report: 'analyze',
  subject: 'TIME_WAIT',
  when: `TIME_WAIT entries hold ≥ ${asPercent(TIME_WAIT_THRESHOLDS.minShare)} of the table (and ≥ ${MIN_ENTRIES})`,
  severity: severityText('info'),
  evidence: ['entries', 'shareOfTable', 'timeoutSeconds'],
  advice:
    'Closed TCP connections are held nf_conntrack_tcp_timeout_time_wait each (short-lived connections without keep-alive). Reuse connections (pooling, HTTP keep-alive); a shorter conntrack TIME_WAIT (e.g. 30 s) frees them sooner. net.ipv4.tcp_tw_reuse affects sockets, not conntrack entries.',
  commands: COMMANDS,
};

function detectTimeWaitPile(readings: TableReadings): Finding[] {
  const { summary, context } = readings;
  const timeWait = summary.by.state.TIME_WAIT ?? 0;
  if (!enoughEntries(readings, timeWait, TIME_WAIT_THRESHOLDS.minShare)) return [];
  const seconds = timeoutSeconds(readings, 'tcp_timeout_time_wait');
  return [
    {
      kind: TIME_WAIT_PILE.id,
      severity: severityFor(timeWait / summary.entries, context, summary.entries),
      subject: 'TIME_WAIT',
      evidence: {
        entries: timeWait,
        shareOfTable: percent(timeWait, summary.entries),
        timeoutSeconds: seconds,
      },
      advice: `${timeWait} closed TCP connections are held ${seconds} s each by nf_conntrack_tcp_timeout_time_wait (short-lived connections without keep-alive). Reuse connections (pooling, HTTP keep-alive); a shorter conntrack TIME_WAIT (e.g. 30 s) frees them sooner. net.ipv4.tcp_tw_reuse affects sockets, not conntrack entries.`,
      commands: [...COMMANDS],
    },
  ];
}

export const timeWaitPileRule: TableRule = { kinds: [TIME_WAIT_PILE], detect: detectTimeWaitPile };
