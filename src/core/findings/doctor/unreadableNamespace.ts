import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace } from './namespaceWords.js';

export const UNREADABLE_NAMESPACE: FindingKind = {
  id: 'unreadable:<netns>',
  report: 'doctor',
  when: 'a namespace could not be read (entered or its table listed)',
  severity: 'info',
  evidence: ['error'],
  advice: 'Run as root on the host to see every namespace.',
  commands: [],
};

function detectUnreadable(ns: NamespaceReadings): DoctorFinding[] {
  if (!ns.error) return [];
  return [
    {
      id: `unreadable:${ns.inode}`,
      severity: 'info',
      title: `${describeNamespace(ns)}: could not be read`,
      evidence: { error: ns.error },
      explanation: UNREADABLE_NAMESPACE.advice,
      fix: { commands: [] },
      netns: ns.inode,
    },
  ];
}

export const unreadableNamespaceRule: NamespaceRule = {
  kinds: [UNREADABLE_NAMESPACE],
  detect: detectUnreadable,
};
