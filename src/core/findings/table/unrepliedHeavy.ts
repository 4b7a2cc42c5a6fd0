import type { Finding } from '../../analysis/findings.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';
import { PORT_SCAN } from './portScan.js';
import { UDP_FLOOD } from './udpFlood.js';
import { severityFor, severityText } from './tableSeverity.js';

/** Half the table never answered: whatever the cause, most of the table is waiting for nothing. */
export const UNREPLIED_HEAVY_THRESHOLDS = { minShare: 0.5 } as const;

const COMMANDS = [
  'ctdoctor analyze --filter "flag=UNREPLIED" --group-by src,dport',
  'conntrack -L --status UNREPLIED',
] as const;

export const UNREPLIED_HEAVY: FindingKind = {
  id: 'unreplied-heavy',
  report: 'analyze',
  subject: 'UNREPLIED',
  when: `UNREPLIED entries hold ≥ ${asPercent(UNREPLIED_HEAVY_THRESHOLDS.minShare)} of the table (and ≥ ${MIN_ENTRIES})`,
  severity: `info when a ${PORT_SCAN.id} or ${UDP_FLOOD.id} finding already explains them; else ${severityText('warn')}`,
  evidence: ['entries', 'shareOfTable'],
  advice:
    'Much of the table never saw a reply: scans, floods, blackholed destinations or clients retrying dead services. Look at the top sources and ports below; shorter UDP/SYN timeouts free them faster.',
  commands: COMMANDS,
};

function detectUnrepliedHeavy(readings: TableReadings): Finding[] {
  const { summary, context, earlier } = readings;
  const unreplied = summary.signals.unreplied;
  if (!enoughEntries(readings, unreplied, UNREPLIED_HEAVY_THRESHOLDS.minShare)) return [];
  const explained = earlier.some((finding) => finding.kind === PORT_SCAN.id || finding.kind === UDP_FLOOD.id);
  return [
    {
      kind: UNREPLIED_HEAVY.id,
      severity: explained
        ? 'info'
        : severityFor(unreplied / summary.entries, context, summary.entries, 'warn'),
      subject: 'UNREPLIED',
      evidence: { entries: unreplied, shareOfTable: percent(unreplied, summary.entries) },
      advice: `${percent(unreplied, summary.entries)} of the table never saw a reply: scans, floods, blackholed destinations or clients retrying dead services. Look at the top sources and ports below; shorter UDP/SYN timeouts free them faster.`,
      commands: [...COMMANDS],
    },
  ];
}

export const unrepliedHeavyRule: TableRule = { kinds: [UNREPLIED_HEAVY], detect: detectUnrepliedHeavy };
