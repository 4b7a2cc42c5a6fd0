import type { Finding } from '../../analysis/findings.js';
import type { TableSignals } from '../../analysis/tableSummary.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { DEAD_UPSTREAM } from './deadUpstream.js';
import { PORT_SCAN } from './portScan.js';
import { sharesText } from './serviceClasses.js';
import { STALE_NAT } from './staleNat.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';
import { UDP_FLOOD } from './udpFlood.js';
import { severityFor, severityText } from './tableSeverity.js';

/** Half the table never answered: whatever the cause, most of the table is waiting for nothing. */
export const UNREPLIED_HEAVY_THRESHOLDS = {
  minShare: 0.5,
  /** The subject is the one service holding this share of the UNREPLIED entries, else the state. */
  serviceShare: 0.5,
} as const;

const t = UNREPLIED_HEAVY_THRESHOLDS;

/** The rules whose finding explains unanswered entries: with one of them, this one is context. */
const EXPLAINING = [PORT_SCAN.id, UDP_FLOOD.id, DEAD_UPSTREAM.id, STALE_NAT.id];

const COMMANDS = [
  'ctdoctor analyze --filter "flag=UNREPLIED" --group-by src,dport',
  'conntrack -L --status UNREPLIED',
] as const;

export const UNREPLIED_HEAVY: FindingKind = {
  id: 'unreplied-heavy',
  report: 'analyze',
  subject: '<destination>:<port>/<proto> or UNREPLIED',
  when: `UNREPLIED entries hold ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}); the subject is the service holding ≥ ${asPercent(t.serviceShare)} of them, else the flag`,
  severity: `info when a ${EXPLAINING.join(', ')} finding already explains them; else ${severityText('warn')}`,
  evidence: ['entries', 'shareOfTable', 'topServices'],
  advice:
    'Much of the table never saw a reply: scans, floods, blackholed destinations or clients retrying dead services. Look at the services that hold them (topServices) and their sources; shorter UDP/SYN timeouts free them faster.',
  commands: COMMANDS,
};

/** "127.99.0.53:53/udp 60%, …": the services holding the unanswered entries, with their share of them. */
function topServicesText(signals: TableSignals): string {
  return sharesText(
    signals.unrepliedServices.map((s) => ({ name: s.service, entries: s.entries })),
    signals.unreplied,
  );
}

function detectUnrepliedHeavy(readings: TableReadings): Finding[] {
  const { summary, context, earlier } = readings;
  const signals = summary.signals;
  const unreplied = signals.unreplied;
  if (!enoughEntries(readings, unreplied, t.minShare)) return [];
  const explained = earlier.some((finding) => EXPLAINING.includes(finding.kind));
  const top = signals.unrepliedServices[0];
  const subject = top && top.entries >= t.serviceShare * unreplied ? top.service : 'UNREPLIED';
  return [
    {
      kind: UNREPLIED_HEAVY.id,
      severity: explained
        ? 'info'
        : severityFor(unreplied / summary.entries, context, summary.entries, 'warn'),
      subject,
      evidence: {
        entries: unreplied,
        shareOfTable: percent(unreplied, summary.entries),
        topServices: topServicesText(signals),
      },
      advice: `${percent(unreplied, summary.entries)} of the table never saw a reply: scans, floods, blackholed destinations or clients retrying dead services. The services that hold them: ${topServicesText(signals)}; shorter UDP/SYN timeouts free them faster.`,
      commands: [...COMMANDS],
    },
  ];
}

export const unrepliedHeavyRule: TableRule = { kinds: [UNREPLIED_HEAVY], detect: detectUnrepliedHeavy };
