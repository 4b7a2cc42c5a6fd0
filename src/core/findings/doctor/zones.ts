import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace } from './namespaceWords.js';

export const ZONES: FindingKind = {
  id: 'zones:<netns>',
  report: 'doctor',
  when: "the namespace's table holds entries of more than one conntrack zone",
  severity: 'info',
  evidence: ['zones'],
  advice:
    'Zones keep identical tuples apart (overlapping tenant addresses) but share one table and one nf_conntrack_max.',
  commands: [],
};

function detectZones(ns: NamespaceReadings): DoctorFinding[] {
  if (ns.zones.length <= 1) return [];
  return [
    {
      id: `zones:${ns.inode}`,
      severity: 'info',
      title: `${describeNamespace(ns)}: conntrack zones in use (${ns.zones.join(', ')})`,
      evidence: { zones: ns.zones.join(', ') },
      explanation: ZONES.advice,
      fix: { commands: [] },
      netns: ns.inode,
    },
  ];
}

export const zonesRule: NamespaceRule = { kinds: [ZONES], detect: detectZones };
