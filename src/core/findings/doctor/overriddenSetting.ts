import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

const COMMANDS = ['ctdoctor persist --fix-conflicts --apply', 'systemd-analyze cat-config sysctl.d'];

export const OVERRIDDEN_SETTING: FindingKind = {
  id: 'overridden:<key>:<file:line>',
  report: 'doctor',
  when: 'a sysctl.d or sysctl.conf line setting a conntrack key is overridden by a later one at boot',
  severity: 'warn',
  evidence: ['key', 'overridden', 'overriddenValue', 'winner', 'winnerValue'],
  advice:
    'sysctl.d files apply in lexicographic order of their names across /etc, /run and /usr/lib; the last assignment wins, and procps `sysctl --system` reads /etc/sysctl.conf after all of them.',
  commands: COMMANDS,
};

function detectOverridden(host: DoctorInput): DoctorFinding[] {
  return (host.persist?.overridden ?? []).map((lost) => ({
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
    explanation: OVERRIDDEN_SETTING.advice,
    fix: { commands: [...COMMANDS] },
    netns: null,
  }));
}

export const overriddenSettingRule: HostRule = { kinds: [OVERRIDDEN_SETTING], detect: detectOverridden };
