import type { DriftRow } from '../../plan/persistDrift.js';
import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

const SYSCTL_PREFIX = 'net.netfilter.nf_conntrack_';

export const PERSIST_DRIFT: FindingKind = {
  id: 'drift:<key>',
  report: 'doctor',
  when: "a conntrack sysctl runs a value that boot would not set (systemd-sysctl or `sysctl --system`), or ctdoctor's file is not what boot sets",
  severity: 'warn',
  evidence: ['runtime', 'atBoot', 'bootFrom', 'sysctlSystemAtBoot?', 'sysctlSystemFrom?', 'ctdoctor'],
  advice:
    'Runtime sysctl changes are lost at reboot and when the module reloads; systemd-sysctl applies /etc/sysctl.d at boot, the lexicographically last file winning; `sysctl --system` (boots without systemd, manual reloads) reads /etc/sysctl.conf after them.',
  commands: [
    'ctdoctor persist[ --timeout <name>=<value>] --apply',
    'ctdoctor persist --fix-conflicts --apply',
    'ctdoctor persist --check',
  ],
};

/** Only /etc/sysctl.conf (or a later-read line) differs under `sysctl --system`: same rule as persist's plan. */
function onlyProcpsDiffers(row: DriftRow): boolean {
  return row.runtime === row.atBoot && row.sysctlSystem.value !== row.atBoot;
}

function driftTitle(row: DriftRow): string {
  return onlyProcpsDiffers(row)
    ? `${row.key} is ${row.runtime} now and systemd-sysctl sets it at boot, but \`sysctl --system\` sets ${row.sysctlSystem.value ?? 'nothing'}${row.sysctlSystem.from ? ` (${row.sysctlSystem.from})` : ''}: it will not survive a boot or reload through sysctl --system`
    : `${row.key} is ${row.runtime} now but boot sets ${row.atBoot ?? 'nothing'}${row.bootFrom ? ` (${row.bootFrom})` : ''}: it will not survive a reboot`;
}

/** `persist` takes the table size from --max/--buckets defaults; a timeout must be named to be kept. */
function persistCommand(row: DriftRow): string {
  if (onlyProcpsDiffers(row)) return 'ctdoctor persist --fix-conflicts --apply';
  const isTimeout = row.key.endsWith('timeout') || row.key.includes('timeout_');
  const timeout = isTimeout ? ` --timeout ${row.key.replace(SYSCTL_PREFIX, '')}=${row.runtime}` : '';
  return `ctdoctor persist${timeout} --apply`;
}

function detectPersistDrift(host: DoctorInput): DoctorFinding[] {
  return (host.persist?.rows ?? [])
    .filter((row) => !row.inSync)
    .map((row) => ({
      id: `drift:${row.key}`,
      severity: 'warn',
      title: driftTitle(row),
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
      explanation: PERSIST_DRIFT.advice,
      fix: { commands: [persistCommand(row), 'ctdoctor persist --check'] },
      netns: null,
    }));
}

export const persistDriftRule: HostRule = { kinds: [PERSIST_DRIFT], detect: detectPersistDrift };
