import type { Finding } from '../../analysis/findings.js';
import type { TableSummary } from '../../analysis/tableSummary.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import {
  type TableReadings,
  type TableRule,
  MIN_ENTRIES,
  enoughEntries,
  percent,
  timeoutSeconds,
} from './tableReadings.js';
import { sharesText, sourceSharesText } from './serviceClasses.js';
import { severityFor, severityText } from './tableSeverity.js';

/** Heuristic from the lab's churn scenario (test/fixtures/tables/time-wait.*): 300 short connections. */
export const TIME_WAIT_THRESHOLDS = {
  /** Share of the table in TIME_WAIT: closed connections held nf_conntrack_tcp_timeout_time_wait. */
  minShare: 0.3,
} as const;

/**
 * When one service holds this share of the TIME_WAIT entries, the pile is that service's: the
 * finding names it and its clients; below it, the pile is spread and the finding is the state's.
 */
export const TIME_WAIT_SERVICE_SHARE = 0.5;

const TIMEOUT_COMMANDS = [
  'ctdoctor timeouts --set tcp_timeout_time_wait=30',
  'sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30',
] as const;

export const TIME_WAIT_PILE: FindingKind = {
  id: 'time-wait-pile',
  report: 'analyze',
  subject: '<destination>:<port>/tcp or TIME_WAIT',
  when: `TIME_WAIT entries hold ≥ ${asPercent(TIME_WAIT_THRESHOLDS.minShare)} of the table (and ≥ ${MIN_ENTRIES}); the subject is the service (destination:port) holding ≥ ${asPercent(TIME_WAIT_SERVICE_SHARE)} of them, else the state`,
  severity: severityText('info'),
  evidence: [
    'entries',
    'shareOfTable',
    'timeoutSeconds',
    'serviceEntries?',
    'clients?',
    'distinctClients?',
    'services?',
  ],
  advice:
    'Closed TCP connections are held nf_conntrack_tcp_timeout_time_wait each: clients that open a connection per request. First make those clients reuse connections (HTTP keep-alive, a connection pool); then a shorter conntrack TIME_WAIT (e.g. 30 s) frees them sooner. net.ipv4.tcp_tw_reuse affects sockets, not conntrack entries.',
  commands: [
    ...TIMEOUT_COMMANDS,
    'conntrack -L -p tcp --state TIME_WAIT[ -f ipv6] -d <destination> --dport <port>',
  ],
};

/** The pile's service and its clients, or the busiest services when none holds most of it. */
function pileSubject(
  summary: TableSummary,
  timeWait: number,
): Pick<Finding, 'subject' | 'evidence' | 'commands'> & { who: string } {
  const services = summary.signals.timeWaitServices;
  const top = services[0];
  if (!top || top.entries < TIME_WAIT_SERVICE_SHARE * timeWait)
    return {
      subject: 'TIME_WAIT',
      evidence: {
        services: sharesText(
          services.map((s) => ({ name: s.service, entries: s.entries })),
          timeWait,
        ),
      },
      commands: [],
      who: 'clients that open a connection per request',
    };
  const clients = sourceSharesText(top.topSources, top.entries);
  const family = top.destination.includes(':') ? ' -f ipv6' : '';
  return {
    subject: top.service,
    evidence: { serviceEntries: top.entries, clients, distinctClients: top.distinctSources },
    commands: [`conntrack -L -p tcp --state TIME_WAIT${family} -d ${top.destination} --dport ${top.port}`],
    who: `${top.distinctSources} client${top.distinctSources === 1 ? '' : 's'} of ${top.service} (${clients}) opening a connection per request`,
  };
}

function detectTimeWaitPile(readings: TableReadings): Finding[] {
  const { summary, context } = readings;
  const timeWait = summary.by.state.TIME_WAIT ?? 0;
  if (!enoughEntries(readings, timeWait, TIME_WAIT_THRESHOLDS.minShare)) return [];
  const seconds = timeoutSeconds(readings, 'tcp_timeout_time_wait');
  const pile = pileSubject(summary, timeWait);
  return [
    {
      kind: TIME_WAIT_PILE.id,
      severity: severityFor(timeWait / summary.entries, context, summary.entries),
      subject: pile.subject,
      evidence: {
        entries: timeWait,
        shareOfTable: percent(timeWait, summary.entries),
        timeoutSeconds: seconds,
        ...pile.evidence,
      },
      advice: `${timeWait} closed TCP connections are held ${seconds} s each by nf_conntrack_tcp_timeout_time_wait, made by ${pile.who}. First make those clients reuse connections (HTTP keep-alive, a connection pool); then a shorter conntrack TIME_WAIT (e.g. 30 s) frees them sooner. net.ipv4.tcp_tw_reuse affects sockets, not conntrack entries.`,
      commands: [...TIMEOUT_COMMANDS, ...pile.commands],
    },
  ];
}

export const timeWaitPileRule: TableRule = { kinds: [TIME_WAIT_PILE], detect: detectTimeWaitPile };
