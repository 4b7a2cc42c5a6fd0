import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace, netnsFlag } from './namespaceWords.js';

export const TABLE_WAS_FULL: FindingKind = {
  id: 'table-was-full:<netns>',
  report: 'doctor',
  when: 'the namespace\'s status is ok but the kernel log holds its own "table full, dropping packet" messages',
  severity: 'warn',
  evidence: ['messages', 'first', 'last', 'countNow'],
  advice:
    'No drops right now, but the kernel logged a full table recently; it will come back under the same load.',
  commands: ['ctdoctor analyze[ --netns <netns>]', 'ctdoctor mitigate'],
};

function detectTableWasFull(ns: NamespaceReadings): DoctorFinding[] {
  const status = ns.status;
  const log = ns.tableFull;
  // A table full now is tableFull's finding, which carries the log messages as evidence.
  if (!status || !log || status.verdict !== 'ok') return [];
  return [
    {
      id: `table-was-full:${ns.inode}`,
      severity: 'warn',
      title: `${describeNamespace(ns)} was full: ${log.messages} "table full, dropping packet" messages, last ${new Date(log.lastMs).toISOString()}`,
      evidence: {
        messages: log.messages,
        first: new Date(log.firstMs).toISOString(),
        last: new Date(log.lastMs).toISOString(),
        countNow: status.count,
      },
      explanation: TABLE_WAS_FULL.advice,
      fix: { commands: [`ctdoctor analyze${netnsFlag(ns)}`, 'ctdoctor mitigate'] },
      netns: ns.inode,
    },
  ];
}

export const tableWasFullRule: NamespaceRule = { kinds: [TABLE_WAS_FULL], detect: detectTableWasFull };
