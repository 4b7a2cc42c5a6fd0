import type { Finding as TableFinding } from '../analysis/findings.js';
import { type Severity, SEVERITY_ORDER } from '../analysis/findings.js';
import { LOSS_COUNTERS } from '../counters.js';
import type { DriftRow } from '../plan/persistDrift.js';
import type { KernelVersion } from '../kernelInfo.js';
import { planMitigation, DEFAULT_HEADROOM, DEFAULT_MEMORY_BUDGET_SHARE } from '../plan/mitigationPlan.js';
import type { StatusReport } from '../status.js';
import type { KernelLogSummary, TableFullSummary } from './kernelLog.js';
import type { WorkloadIdentity } from './workloadIdentity.js';

/** What doctor knows, as plain data (the host layer fills it in). */
export interface DoctorInput {
  kernel: KernelVersion;
  memTotalBytes: number;
  entryBytes: number;
  max: number;
  buckets: number;
  timeouts: Record<string, number>;
  namespaces: {
    inode: number;
    initial: boolean;
    names: string[];
    path: string;
    processes: { pid: number; command: string; workload: WorkloadIdentity }[];
    status: StatusReport | null;
    error: string | null;
    tableFindings: TableFinding[];
    dnsShare: number | null;
    establishedIdleOverDay: number | null;
    zones: string[];
    /** Table-full kernel messages that are this namespace's own (inode reuse filtered out). */
    tableFull: TableFullSummary | null;
  }[];
  kernelLog: KernelLogSummary | null;
  persist: {
    file: string | null;
    rows: DriftRow[];
    overridden: {
      key: string;
      loser: string;
      loserValue: string;
      winner: string;
      winnerValue: string;
      appliers: string[];
    }[];
  } | null;
  helpers: { name: string; presence: string; inUse: boolean; usageUnknown?: string | null }[];
  owners: { who: string; evidence: string; effect: string; advice: string }[];
  numaNodes: number;
  root: boolean;
  selfInitial: boolean;
}

export interface DoctorFinding {
  id: string;
  severity: Severity;
  title: string;
  evidence: Record<string, string | number>;
  explanation: string;
  fix: { commands: string[] };
  netns: number | null;
}

type Namespace = DoctorInput['namespaces'][number];

/** "netns 4026532246 (pod 1b2c…, nginx)" — the words an operator recognises. */
export function describeNamespace(ns: Namespace): string {
  if (ns.initial) return 'the host namespace';
  const pod = ns.processes.find((p) => p.workload.podUid)?.workload.podUid;
  const container = ns.processes.find((p) => p.workload.containerId)?.workload;
  const who = pod
    ? `pod ${pod.slice(0, 8)}`
    : container?.containerId
      ? `${container.runtime} ${container.containerId}`
      : ns.names[0]
        ? `ip netns ${ns.names[0]}`
        : null;
  const command = ns.processes[0]?.command;
  const parts = [who, command].filter(Boolean);
  return `netns ${ns.inode}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function netnsFlag(ns: Namespace): string {
  return ns.initial ? '' : ` --netns ${ns.names[0] ?? ns.processes[0]?.pid ?? ns.path}`;
}

function lossRate(status: StatusReport): number {
  return LOSS_COUNTERS.reduce((sum, name) => sum + (status.rates?.[name] ?? 0), 0);
}

export function buildDoctorFindings(input: DoctorInput): DoctorFinding[] {
  const findings: DoctorFinding[] = [];

  for (const ns of input.namespaces) {
    const status = ns.status;
    const where = describeNamespace(ns);
    const log = ns.tableFull;
    if (status && status.verdict !== 'ok') {
      const loss = lossRate(status);
      const plan = planMitigation({
        count: status.count,
        max: input.max,
        buckets: input.buckets,
        lossPerSecond: loss,
        kernel: input.kernel,
        memTotalBytes: input.memTotalBytes,
        entryBytes: input.entryBytes,
        headroom: DEFAULT_HEADROOM,
        memoryBudgetBytes: input.memTotalBytes * DEFAULT_MEMORY_BUDGET_SHARE,
        force: false,
      });
      const dropping = loss > 0;
      findings.push({
        id: `table-${dropping ? 'dropping' : 'filling'}:${ns.inode}`,
        severity: status.verdict === 'crit' ? 'crit' : 'warn',
        title: dropping
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
        explanation: dropping
          ? 'Every new flow needs a conntrack entry; with the table at nf_conntrack_max the kernel evicts unassured entries (early_drop) or drops the packet. Local programs see EPERM, remote peers see silence. The limit is global; the count is per namespace.'
          : 'The table is filling; at nf_conntrack_max new flows are dropped. Raise the limit now, then find what fills it.',
        fix: {
          commands: [
            `ctdoctor mitigate --apply${netnsFlag(ns)}`,
            ...plan.changes.map((change) => `sysctl -w ${change.key}=${change.to}`),
            `ctdoctor persist --max ${plan.target.max} --buckets ${plan.target.buckets} --apply`,
            `ctdoctor analyze${netnsFlag(ns)}`,
          ],
        },
        netns: ns.inode,
      });
    } else if (log && status) {
      findings.push({
        id: `table-was-full:${ns.inode}`,
        severity: 'warn',
        title: `${where} was full: ${log.messages} "table full, dropping packet" messages, last ${new Date(log.lastMs).toISOString()}`,
        evidence: {
          messages: log.messages,
          first: new Date(log.firstMs).toISOString(),
          last: new Date(log.lastMs).toISOString(),
          countNow: status.count,
        },
        explanation:
          'No drops right now, but the kernel logged a full table recently; it will come back under the same load.',
        fix: { commands: [`ctdoctor analyze${netnsFlag(ns)}`, 'ctdoctor mitigate'] },
        netns: ns.inode,
      });
    }
    if (
      status?.rates &&
      ((status.rates.insert_failed ?? 0) > 0 || (status.rates.clash_resolve ?? 0) > 0) &&
      (ns.dnsShare ?? 0) > 0.05
    ) {
      findings.push({
        id: `dns-race:${ns.inode}`,
        severity: 'warn',
        title: `${where}: insert_failed/clash_resolve rising with DNS traffic — the parallel A/AAAA race`,
        evidence: {
          insertFailedPerSecond: status.rates.insert_failed ?? 0,
          clashResolvePerSecond: status.rates.clash_resolve ?? 0,
          udp53Share: Number((ns.dnsShare ?? 0).toFixed(3)),
        },
        explanation:
          'glibc sends A and AAAA queries from one socket at once; both race to insert the same conntrack tuple and one can lose (insert_failed), which looks like a 5 s DNS timeout. Kernels with clash resolution count clash_resolve instead of dropping.',
        fix: {
          commands: [
            'echo "options single-request-reopen" >> /etc/resolv.conf   # or use-vc',
            'run a node-local DNS cache (e.g. NodeLocal DNSCache)',
          ],
        },
        netns: ns.inode,
      });
    }
    for (const finding of ns.tableFindings) {
      findings.push({
        id: `${finding.kind}:${ns.inode}:${finding.subject}`,
        severity: finding.severity,
        title: `${where}: ${finding.kind} ${finding.subject}`,
        evidence: finding.evidence,
        explanation: finding.advice,
        fix: {
          commands: finding.commands.map((command) =>
            command.replace(/^ctdoctor (\S+)/, `ctdoctor $1${netnsFlag(ns)}`),
          ),
        },
        netns: ns.inode,
      });
    }
    if (
      (ns.establishedIdleOverDay ?? 0) > 0 &&
      (input.timeouts.tcp_timeout_established ?? 0) > 86400 &&
      status &&
      ns.establishedIdleOverDay! >= Math.max(100, 0.1 * status.count)
    ) {
      findings.push({
        id: `idle-established:${ns.inode}`,
        severity: 'warn',
        title: `${where}: ${ns.establishedIdleOverDay} ESTABLISHED entries idle for over a day, held by the ${input.timeouts.tcp_timeout_established} s timeout`,
        evidence: {
          idleOverDay: ns.establishedIdleOverDay!,
          tcpTimeoutEstablished: input.timeouts.tcp_timeout_established!,
        },
        explanation:
          "An ESTABLISHED entry lives 5 days after its last packet by default; peers that vanished without FIN/RST hold entries that long. A shorter timeout applies from each entry's next packet; idle ones need flushing.",
        fix: {
          commands: [
            `ctdoctor timeouts --set tcp_timeout_established=86400 --apply --flush-idle${netnsFlag(ns)}`,
          ],
        },
        netns: ns.inode,
      });
    }
    if (ns.zones.length > 1) {
      findings.push({
        id: `zones:${ns.inode}`,
        severity: 'info',
        title: `${where}: conntrack zones in use (${ns.zones.join(', ')})`,
        evidence: { zones: ns.zones.join(', ') },
        explanation:
          'Zones keep identical tuples apart (overlapping tenant addresses) but share one table and one nf_conntrack_max.',
        fix: { commands: [] },
        netns: ns.inode,
      });
    }
    if (ns.error) {
      findings.push({
        id: `unreadable:${ns.inode}`,
        severity: 'info',
        title: `${where}: could not be read`,
        evidence: { error: ns.error },
        explanation: 'Run as root on the host to see every namespace.',
        fix: { commands: [] },
        netns: ns.inode,
      });
    }
  }

  for (const row of input.persist?.rows ?? []) {
    if (row.inSync) continue;
    // Only /etc/sysctl.conf (or a later-read line) differs under `sysctl --system`: same rule as persist's plan.
    const onlyProcps = row.runtime === row.atBoot && row.sysctlSystem.value !== row.atBoot;
    findings.push({
      id: `drift:${row.key}`,
      severity: 'warn',
      title: onlyProcps
        ? `${row.key} is ${row.runtime} now and systemd-sysctl sets it at boot, but \`sysctl --system\` sets ${row.sysctlSystem.value ?? 'nothing'}${row.sysctlSystem.from ? ` (${row.sysctlSystem.from})` : ''}: it will not survive a boot or reload through sysctl --system`
        : `${row.key} is ${row.runtime} now but boot sets ${row.atBoot ?? 'nothing'}${row.bootFrom ? ` (${row.bootFrom})` : ''}: it will not survive a reboot`,
      evidence: {
        runtime: row.runtime ?? '-',
        atBoot: row.atBoot ?? '-',
        bootFrom: row.bootFrom ?? '-',
        ...(row.sysctlSystem.value !== row.atBoot
          ? {
              sysctlSystemAtBoot: row.sysctlSystem.value ?? '-',
              sysctlSystemFrom: row.sysctlSystem.from ?? '-',
            }
          : {}),
        ctdoctor: row.ctdoctor ?? '-',
      },
      explanation:
        'Runtime sysctl changes are lost at reboot and when the module reloads; systemd-sysctl applies /etc/sysctl.d at boot, the lexicographically last file winning; `sysctl --system` (boots without systemd, manual reloads) reads /etc/sysctl.conf after them.',
      fix: {
        commands: [
          onlyProcps
            ? 'ctdoctor persist --fix-conflicts --apply'
            : `ctdoctor persist${row.key.endsWith('timeout') || row.key.includes('timeout_') ? ` --timeout ${row.key.replace('net.netfilter.nf_conntrack_', '')}=${row.runtime}` : ''} --apply`,
          'ctdoctor persist --check',
        ],
      },
      netns: null,
    });
  }
  for (const lost of input.persist?.overridden ?? []) {
    findings.push({
      id: `overridden:${lost.key}:${lost.loser}`,
      severity: 'warn',
      title: `${lost.loser} sets ${lost.key} = ${lost.loserValue}, but ${lost.winner} overrides it with ${lost.winnerValue} ${lost.appliers.length > 1 ? 'at boot' : `under ${lost.appliers[0]}`}`,
      evidence: {
        key: lost.key,
        overridden: lost.loser,
        overriddenValue: lost.loserValue,
        winner: lost.winner,
        winnerValue: lost.winnerValue,
      },
      explanation:
        'sysctl.d files apply in lexicographic order of their names across /etc, /run and /usr/lib; the last assignment wins, and procps `sysctl --system` reads /etc/sysctl.conf after all of them.',
      fix: { commands: ['ctdoctor persist --fix-conflicts --apply', 'systemd-analyze cat-config sysctl.d'] },
      netns: null,
    });
  }

  const ratio = input.max / Math.max(input.buckets, 1);
  if (ratio > 2) {
    findings.push({
      id: 'buckets-few',
      severity: ratio >= 8 ? 'warn' : 'info',
      title: `nf_conntrack_max is ${ratio.toFixed(0)}× the buckets: a full table has hash chains of ~${(2 * ratio).toFixed(0)}`,
      evidence: { max: input.max, buckets: input.buckets },
      explanation:
        'Each entry is hashed twice (original and reply tuple). Kernels since 5.15 default to one bucket per entry; a bucket costs 8 B against ~300 B per entry.',
      fix: { commands: [`ctdoctor mitigate --max ${input.max} --buckets ${input.max} --apply`] },
      netns: null,
    });
  }
  const atMax = input.max * input.entryBytes + input.buckets * 8;
  if (input.memTotalBytes > 0 && atMax > DEFAULT_MEMORY_BUDGET_SHARE * input.memTotalBytes) {
    findings.push({
      id: 'memory-at-max',
      severity: atMax > 0.25 * input.memTotalBytes ? 'warn' : 'info',
      title: `a full table would use ${(atMax / 1024 ** 3).toFixed(1)} GiB, ${((atMax / input.memTotalBytes) * 100).toFixed(0)}% of RAM`,
      evidence: {
        max: input.max,
        entryBytes: input.entryBytes,
        atMaxBytes: atMax,
        memTotalBytes: input.memTotalBytes,
      },
      explanation:
        'Entries are slab memory the kernel cannot reclaim under pressure; a flood can fill the table and this memory.',
      fix: {
        commands: ['ctdoctor analyze', 'ctdoctor notrack --port PORT   # for stateless high-rate services'],
      },
      netns: null,
    });
  }
  // A helper whose users could not be read (not root) is not called unused.
  const unused = input.helpers.filter((h) => h.presence === 'module-loaded' && !h.inUse && !h.usageUnknown);
  for (const helper of unused) {
    findings.push({
      id: `helper-unused:${helper.name}`,
      severity: 'info',
      title: `conntrack helper ${helper.name} is loaded but nothing uses it`,
      evidence: { helper: helper.name },
      explanation: 'Helpers parse payloads and create expectations; unused ones are attack surface and cost.',
      fix: { commands: ['ctdoctor helpers --apply', `modprobe -r nf_conntrack_${helper.name}`] },
      netns: null,
    });
  }
  if (input.numaNodes > 1) {
    findings.push({
      id: 'numa',
      severity: 'info',
      title: `${input.numaNodes} NUMA nodes: the hash table lives on one node`,
      evidence: { nodes: input.numaNodes },
      explanation:
        'The bucket array is one allocation (vmalloc when large) and entries come from the slab of the CPU that created them; at high rates, lookups cross nodes. Keep NIC queues and the workload on the node that does the most tracking, and measure before and after.',
      fix: { commands: ['numastat -m', 'cat /proc/interrupts'] },
      netns: null,
    });
  }
  for (const owner of input.owners) {
    findings.push({
      id: `owner:${owner.who}`,
      severity: owner.who === 'kube-proxy' ? 'warn' : 'info',
      title: `${owner.who}: ${owner.effect}`,
      evidence: { evidence: owner.evidence },
      explanation: owner.advice,
      fix: { commands: [] },
      netns: null,
    });
  }
  if (!input.root) {
    findings.push({
      id: 'not-root',
      severity: 'info',
      title: 'not root: some findings are missing',
      evidence: {},
      explanation: 'Other namespaces, the kernel log, slabinfo and netlink need root.',
      fix: { commands: ['sudo ctdoctor doctor'] },
      netns: null,
    });
  }
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
