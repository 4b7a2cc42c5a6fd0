import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

const COMMANDS = ['sudo ctdoctor doctor'];

export const NOT_ROOT: FindingKind = {
  id: 'not-root',
  report: 'doctor',
  when: 'doctor runs without root',
  severity: 'info',
  evidence: [],
  advice: 'Other namespaces, the kernel log, slabinfo and netlink need root.',
  commands: COMMANDS,
};

function detectNotRoot(host: DoctorInput): DoctorFinding[] {
  if (host.root) return [];
  return [
    {
      id: 'not-root',
      severity: 'info',
      title: 'not root: some findings are missing',
      evidence: {},
      explanation: NOT_ROOT.advice,
      fix: { commands: [...COMMANDS] },
      netns: null,
    },
  ];
}

export const notRootRule: HostRule = { kinds: [NOT_ROOT], detect: detectNotRoot };
