import type { Finding } from '../../analysis/findings.js';
import type { NatBackend } from '../../analysis/tableSummary.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { SHOWN_SOURCES } from './serviceClasses.js';
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
  evidence: ['entries', 'shareOfTable', 'snat', 'dnat', 'dnatServices?'],
  advice:
    'Many entries are NATed (SNAT/masquerade or DNAT, e.g. Docker/Kubernetes services): they need conntrack and cannot be exempted with NOTRACK; size the table for them.',
  commands: COMMANDS,
};

/**
 * "10.96.0.10:53/udp 400 (2 backends), …": the DNAT'd services holding most entries, so the sizing
 * advice says whose entries they are. The backend list is bounded, so these are lower bounds.
 */
function dnatServicesText(backends: readonly NatBackend[]): string {
  const services = new Map<string, { entries: number; backends: number }>();
  for (const backend of backends) {
    const service = services.get(backend.service) ?? { entries: 0, backends: 0 };
    service.entries += backend.entries;
    service.backends++;
    services.set(backend.service, service);
  }
  return [...services]
    .sort((a, b) => b[1].entries - a[1].entries)
    .slice(0, SHOWN_SOURCES)
    .map(([name, s]) => `${name} ${s.entries} (${s.backends} backend${s.backends === 1 ? '' : 's'})`)
    .join(', ');
}

function detectNatHeavy(readings: TableReadings): Finding[] {
  const { summary } = readings;
  const natted = summary.entries - (summary.by.nat.none ?? 0);
  if (!enoughEntries(readings, natted, NAT_HEAVY_THRESHOLDS.minShare)) return [];
  const dnatServices = dnatServicesText(summary.signals.natBackends);
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
        ...(dnatServices ? { dnatServices } : {}),
      },
      advice: `${percent(natted, summary.entries)} of entries are NATed (SNAT/masquerade or DNAT, e.g. Docker/Kubernetes services${dnatServices ? `; the busiest DNAT'd services: ${dnatServices}` : ''}): they need conntrack and cannot be exempted with NOTRACK; size the table for them.`,
      commands: [...COMMANDS],
    },
  ];
}

export const natHeavyRule: TableRule = { kinds: [NAT_HEAVY], detect: detectNatHeavy };
