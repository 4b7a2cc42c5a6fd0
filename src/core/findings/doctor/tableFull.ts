import { LOSS_COUNTERS } from '../../counters.js';
import { DEFAULT_HEADROOM, DEFAULT_MEMORY_BUDGET_SHARE, planMitigation } from '../../plan/mitigationPlan.js';
import type { StatusReport } from '../../status.js';
import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { describeNamespace, netnsFlag } from './namespaceWords.js';

const SEVERITY = "crit when the namespace's status is critical, else warn";
const EVIDENCE = [
  'count',
  'max',
  'usage',
  'dropPerSecond',
  'earlyDropPerSecond',
  'insertFailedPerSecond',
  'kernelLogMessages?',
  'kernelLogLast?',
] as const;
const COMMANDS = [
  'ctdoctor mitigate --apply[ --netns <netns>]',
  'sysctl -w <key>=<value>',
  'ctdoctor persist --max <max> --buckets <buckets> --apply',
  'ctdoctor analyze[ --netns <netns>]',
] as const;

export const TABLE_DROPPING: FindingKind = {
  id: 'table-dropping:<netns>',
  report: 'doctor',
  when: `the namespace's status is not ok and it loses new connections (${LOSS_COUNTERS.join(', ')} rising)`,
  severity: SEVERITY,
  evidence: EVIDENCE,
  advice:
    'Every new flow needs a conntrack entry; with the table at nf_conntrack_max the kernel evicts unassured entries (early_drop) or drops the packet. Local programs see EPERM, remote peers see silence. The limit is global; the count is per namespace.',
  commands: COMMANDS,
};

export const TABLE_FILLING: FindingKind = {
  id: 'table-filling:<netns>',
  report: 'doctor',
  when: "the namespace's status is not ok (usage at the status thresholds) but nothing is lost yet",
  severity: SEVERITY,
  evidence: EVIDENCE,
  advice:
    'The table is filling; at nf_conntrack_max new flows are dropped. Raise the limit now, then find what fills it.',
  commands: COMMANDS,
};

/** New connections lost per second: every counter that means a packet did not get an entry. */
function lossRate(status: StatusReport): number {
  return LOSS_COUNTERS.reduce((sum, name) => sum + (status.rates?.[name] ?? 0), 0);
}

function detectTableFull(ns: NamespaceReadings, host: DoctorInput): DoctorFinding[] {
  const status = ns.status;
  if (!status || status.verdict === 'ok') return [];
  const where = describeNamespace(ns);
  const log = ns.tableFull;
  const loss = lossRate(status);
  const plan = planMitigation({
    count: status.count,
    max: host.max,
    buckets: host.buckets,
    lossPerSecond: loss,
    kernel: host.kernel,
    memTotalBytes: host.memTotalBytes,
    entryBytes: host.entryBytes,
    headroom: DEFAULT_HEADROOM,
    memoryBudgetBytes: host.memTotalBytes * DEFAULT_MEMORY_BUDGET_SHARE,
    force: false,
  });
  const kind = loss > 0 ? TABLE_DROPPING : TABLE_FILLING;
  return [
    {
      id: `table-${loss > 0 ? 'dropping' : 'filling'}:${ns.inode}`,
      severity: status.verdict === 'crit' ? 'crit' : 'warn',
      title:
        loss > 0
          ? `${where} is dropping ${Math.round(loss)} new connections/s — table full (${status.count}/${status.max})`
          : `${where}: conntrack table ${Math.round(status.usage * 100)}% full (${status.count}/${status.max})`,
      evidence: {
        count: status.count,
        max: status.max,
        usage: Number(status.usage.toFixed(3)),
        dropPerSecond: Math.round(status.rates?.drop ?? 0),
        earlyDropPerSecond: Math.round(status.rates?.early_drop ?? 0),
        insertFailedPerSecond: Math.round(status.rates?.insert_failed ?? 0),
        ...(log
          ? { kernelLogMessages: log.messages, kernelLogLast: new Date(log.lastMs).toISOString() }
          : {}),
      },
      explanation: kind.advice,
      fix: {
        commands: [
          `ctdoctor mitigate --apply${netnsFlag(ns)}`,
          ...plan.changes.map((change) => `sysctl -w ${change.key}=${change.to}`),
          `ctdoctor persist --max ${plan.target.max} --buckets ${plan.target.buckets} --apply`,
          `ctdoctor analyze${netnsFlag(ns)}`,
        ],
      },
      netns: ns.inode,
    },
  ];
}

export const tableFullRule: NamespaceRule = {
  kinds: [TABLE_DROPPING, TABLE_FILLING],
  detect: detectTableFull,
};
