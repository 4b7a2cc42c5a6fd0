import type { FindingKind } from '../findingKind.js';
import { insideNamespace } from './counterFinding.js';
import type { DoctorFinding, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace, netnsFlag } from './namespaceWords.js';

export const TABLE_PATTERN: FindingKind = {
  id: '<analyze kind>:<netns>:<subject>',
  report: 'doctor',
  when: "analyze's rules find a pattern in the namespace's table (every analyze finding below)",
  severity: "the analyze finding's",
  evidence: ["the analyze finding's"],
  advice:
    "The analyze finding's advice; its commands are aimed at the namespace: ctdoctor's by --netns, the others run inside it.",
  commands: [
    'ctdoctor <command>[ --netns <netns>]<arguments>',
    '[ip netns exec <name> | nsenter --net=<path> ]<other command>',
  ],
};

/**
 * A command of an analyze finding, aimed at the namespace the finding is in: ctdoctor's through
 * --netns; every other tool (nft, iptables, conntrack, ss) is run inside it, each part of an `a && b`
 * alone — run as printed on the host, a rate limit or a flush would change the host's tables.
 */
function aimedAt(ns: NamespaceReadings, command: string): string {
  if (ns.initial) return command;
  const inside = insideNamespace({ initial: ns.initial, name: ns.names[0], path: ns.path });
  return command
    .split(' && ')
    .map((part) =>
      part.startsWith('ctdoctor ')
        ? part.replace(/^ctdoctor (\S+)/, `ctdoctor $1${netnsFlag(ns)}`)
        : `${inside}${part}`,
    )
    .join(' && ');
}

/** analyze's findings for the namespace, in doctor's shape, their commands aimed at it. */
function detectTablePatterns(ns: NamespaceReadings): DoctorFinding[] {
  return ns.tableFindings.map((finding) => ({
    id: `${finding.kind}:${ns.inode}:${finding.subject}`,
    severity: finding.severity,
    title: `${describeNamespace(ns)}: ${finding.kind} ${finding.subject}`,
    evidence: finding.evidence,
    explanation: finding.advice,
    fix: {
      commands: finding.commands.map((command) => aimedAt(ns, command)),
    },
    netns: ns.inode,
  }));
}

export const tablePatternsRule: NamespaceRule = { kinds: [TABLE_PATTERN], detect: detectTablePatterns };
