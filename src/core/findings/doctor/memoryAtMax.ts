import { tableMemoryBytes } from '../../memory.js';
import { DEFAULT_MEMORY_BUDGET_SHARE } from '../../plan/mitigationPlan.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

/**
 * A full table is unreclaimable slab memory. Reported past the share of RAM `mitigate` budgets for
 * the table by default; a warning past a quarter, where a flood costs the host its page cache.
 */
export const MEMORY_AT_MAX_THRESHOLDS = {
  infoShare: DEFAULT_MEMORY_BUDGET_SHARE,
  warnShare: 0.25,
} as const;

const COMMANDS = ['ctdoctor analyze', 'ctdoctor notrack --port PORT   # for stateless high-rate services'];

export const MEMORY_AT_MAX: FindingKind = {
  id: 'memory-at-max',
  report: 'doctor',
  when: `a table full to nf_conntrack_max (entries and buckets) would use more than ${asPercent(MEMORY_AT_MAX_THRESHOLDS.infoShare)} of RAM (mitigate's default budget)`,
  severity: `warn above ${asPercent(MEMORY_AT_MAX_THRESHOLDS.warnShare)} of RAM, else info`,
  evidence: ['max', 'entryBytes', 'atMaxBytes', 'memTotalBytes'],
  advice:
    'Entries are slab memory the kernel cannot reclaim under pressure; a flood can fill the table and this memory.',
  commands: COMMANDS,
};

function detectMemoryAtMax(host: DoctorInput): DoctorFinding[] {
  const atMax = tableMemoryBytes(host.max, host.buckets, host.entryBytes);
  if (host.memTotalBytes <= 0 || atMax <= MEMORY_AT_MAX_THRESHOLDS.infoShare * host.memTotalBytes) return [];
  return [
    {
      id: 'memory-at-max',
      severity: atMax > MEMORY_AT_MAX_THRESHOLDS.warnShare * host.memTotalBytes ? 'warn' : 'info',
      title: `a full table would use ${(atMax / 1024 ** 3).toFixed(1)} GiB, ${((atMax / host.memTotalBytes) * 100).toFixed(0)}% of RAM`,
      evidence: {
        max: host.max,
        entryBytes: host.entryBytes,
        atMaxBytes: atMax,
        memTotalBytes: host.memTotalBytes,
      },
      explanation: MEMORY_AT_MAX.advice,
      fix: { commands: [...COMMANDS] },
      netns: null,
    },
  ];
}

export const memoryAtMaxRule: HostRule = { kinds: [MEMORY_AT_MAX], detect: detectMemoryAtMax };
