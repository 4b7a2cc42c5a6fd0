import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

export const UNUSED_HELPER: FindingKind = {
  id: 'helper-unused:<helper>',
  report: 'doctor',
  when: 'a conntrack helper module is loaded and no entry or rule uses it (not reported when its users could not be read)',
  severity: 'info',
  evidence: ['helper'],
  advice: 'Helpers parse payloads and create expectations; unused ones are attack surface and cost.',
  commands: ['ctdoctor helpers --apply', 'modprobe -r nf_conntrack_<helper>'],
};

function detectUnusedHelpers(host: DoctorInput): DoctorFinding[] {
  // A helper whose users could not be read (not root) is not called unused.
  const unused = host.helpers.filter((h) => h.presence === 'module-loaded' && !h.inUse && !h.usageUnknown);
  return unused.map((helper) => ({
    id: `helper-unused:${helper.name}`,
    severity: 'info',
    title: `conntrack helper ${helper.name} is loaded but nothing uses it`,
    evidence: { helper: helper.name },
    explanation: UNUSED_HELPER.advice,
    fix: { commands: ['ctdoctor helpers --apply', `modprobe -r nf_conntrack_${helper.name}`] },
    netns: null,
  }));
}

export const unusedHelperRule: HostRule = { kinds: [UNUSED_HELPER], detect: detectUnusedHelpers };
