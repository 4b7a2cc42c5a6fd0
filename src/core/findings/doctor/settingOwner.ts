import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

/** kube-proxy rewrites nf_conntrack_max at its every start: a change ctdoctor makes will not last. */
export const WARN_OWNER = 'kube-proxy';

export const SETTING_OWNER: FindingKind = {
  id: 'owner:<who>',
  report: 'doctor',
  when: 'another program sets conntrack settings on this host (kube-proxy, tuned, …)',
  severity: `warn for ${WARN_OWNER}, else info`,
  evidence: ['evidence'],
  advice: "The owner's own advice: where its setting lives and how to change it there.",
  commands: [],
};

function detectSettingOwners(host: DoctorInput): DoctorFinding[] {
  return host.owners.map((owner) => ({
    id: `owner:${owner.who}`,
    severity: owner.who === WARN_OWNER ? 'warn' : 'info',
    title: `${owner.who}: ${owner.effect}`,
    evidence: { evidence: owner.evidence },
    explanation: owner.advice,
    fix: { commands: [] },
    netns: null,
  }));
}

export const settingOwnerRule: HostRule = { kinds: [SETTING_OWNER], detect: detectSettingOwners };
