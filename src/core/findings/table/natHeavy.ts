import type { Finding } from '../../analysis/findings.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';

/** NATed entries cannot be exempted with NOTRACK: when they are most of the table, size it for them. */
export const NAT_HEAVY_THRESHOLDS = { minShare: 0.5 } as const;

const COMMANDS = ['ctdoctor mitigate'] as const;

export const NAT_HEAVY: FindingKind = {
  id: 'nat-heavy',
  report: 'analyze',
  subject: 'NAT',
  when: `NATed entries (SNAT/masquerade or DNAT) hold ≥ ${asPercent(NAT_HEAVY_THRESHOLDS.minShare)} of the table (and ≥ ${MIN_ENTRIES})`,
  severity: 'info',
  evidence: ['entries', 'shareOfTable', 'snat', 'dnat'],
  advice:
    'Many entries are NATed (SNAT/masquerade or DNAT, e.g. Docker/Kubernetes services): they need conntrack and cannot be exempted with NOTRACK; size the table for them.',
  commands: COMMANDS,
};

function detectNatHeavy(readings: TableReadings): Finding[] {
  const { summary } = readings;
  const natted = summary.entries - (summary.by.nat.none ?? 0);
  if (!enoughEntries(readings, natted, NAT_HEAVY_THRESHOLDS.minShare)) return [];
  return [
    {
      kind: NAT_HEAVY.id,
      severity: 'info',
      subject: 'NAT',
      evidence: {
        entries: natted,
        shareOfTable: percent(natted, summary.entries),
        snat: summary.by.nat.snat ?? 0,
        dnat: summary.by.nat.dnat ?? 0,
      },
      advice: `${percent(natted, summary.entries)} of entries are NATed (SNAT/masquerade or DNAT, e.g. Docker/Kubernetes services): they need conntrack and cannot be exempted with NOTRACK; size the table for them.`,
      commands: [...COMMANDS],
    },
  ];
}

export const natHeavyRule: TableRule = { kinds: [NAT_HEAVY], detect: detectNatHeavy };
