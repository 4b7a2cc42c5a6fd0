import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

const COMMANDS = ['numastat -m', 'cat /proc/interrupts'];

export const NUMA: FindingKind = {
  id: 'numa',
  report: 'doctor',
  when: 'the host has more than one NUMA node',
  severity: 'info',
  evidence: ['nodes'],
  advice:
    'The bucket array is one allocation (vmalloc when large) and entries come from the slab of the CPU that created them; at high rates, lookups cross nodes. Keep NIC queues and the workload on the node that does the most tracking, and measure before and after.',
  commands: COMMANDS,
};

function detectNuma(host: DoctorInput): DoctorFinding[] {
  if (host.numaNodes <= 1) return [];
  return [
    {
      id: 'numa',
      severity: 'info',
      title: `${host.numaNodes} NUMA nodes: the hash table lives on one node`,
      evidence: { nodes: host.numaNodes },
      explanation: NUMA.advice,
      fix: { commands: [...COMMANDS] },
      netns: null,
    },
  ];
}

export const numaRule: HostRule = { kinds: [NUMA], detect: detectNuma };
