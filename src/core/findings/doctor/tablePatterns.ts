import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace, netnsFlag } from './namespaceWords.js';

export const TABLE_PATTERN: FindingKind = {
  id: '<analyze kind>:<netns>:<subject>',
  report: 'doctor',
  when: "analyze's rules find a pattern in the namespace's table (every analyze finding below)",
  severity: "the analyze finding's",
  evidence: ["the analyze finding's"],
  advice: "The analyze finding's advice; its ctdoctor commands are aimed at the namespace.",
  commands: ['ctdoctor <command>[ --netns <netns>]<arguments>', '<other command>'],
};

/** analyze's findings for the namespace, in doctor's shape, their ctdoctor commands aimed at it. */
function detectTablePatterns(ns: NamespaceReadings): DoctorFinding[] {
  return ns.tableFindings.map((finding) => ({
    id: `${finding.kind}:${ns.inode}:${finding.subject}`,
    severity: finding.severity,
    title: `${describeNamespace(ns)}: ${finding.kind} ${finding.subject}`,
    evidence: finding.evidence,
    explanation: finding.advice,
    fix: {
      commands: finding.commands.map((command) =>
        command.replace(/^ctdoctor (\S+)/, `ctdoctor $1${netnsFlag(ns)}`),
      ),
    },
    netns: ns.inode,
  }));
}

export const tablePatternsRule: NamespaceRule = { kinds: [TABLE_PATTERN], detect: detectTablePatterns };
