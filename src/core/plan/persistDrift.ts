import { type BootValue, type BootValues, type SysctlApplier, bootValueOf } from './sysctlPrecedence.js';

export interface DriftRow {
  key: string;
  runtime: string | null;
  /** What systemd-sysctl sets at boot (a file's value, else the kernel default). */
  atBoot: string | null;
  bootFrom: string | null;
  /** What `sysctl --system` sets (non-systemd boots, manual reloads): /etc/sysctl.conf comes last there. */
  sysctlSystem: BootValue;
  ctdoctor: string | null;
  inSync: boolean;
}

/**
 * In sync: the kernel runs the value that boot would set (a file's, else the kernel default) under
 * both appliers, and ctdoctor's file, if any, is what boot sets. The same rule as persist's plan,
 * which marks a key "ok" only when both appliers set the wanted value.
 */
export function compareDrift(
  boot: BootValues,
  runtime: string | null,
  ctdoctor: string | null,
  kernelDefault: string | null,
): DriftRow {
  const setting = (resolution: BootValues['systemd']): BootValue =>
    resolution.winner
      ? bootValueOf(resolution)
      : { value: kernelDefault, from: kernelDefault !== null ? 'kernel default' : null };
  const systemd = setting(boot.systemd);
  const procps = setting(boot.procps);
  const inSync =
    systemd.value !== null &&
    runtime === systemd.value &&
    procps.value === systemd.value &&
    (ctdoctor === null || ctdoctor === systemd.value);
  return {
    key: boot.key,
    runtime,
    atBoot: systemd.value,
    bootFrom: systemd.from,
    sysctlSystem: procps,
    ctdoctor,
    inSync,
  };
}

export interface OverriddenAssignment {
  key: string;
  /** The file and line that loses, its value, and the one that wins at boot. */
  loser: string;
  loserValue: string;
  winner: string;
  winnerValue: string;
  /** Under which appliers it loses: both, or only one (/etc/sysctl.conf is read by procps alone). */
  appliers: SysctlApplier[];
}

/** `persist --check`: ctdoctor's file, each key's drift, and the assignments that lose at boot. */
export interface PersistAudit {
  file: string | null;
  rows: DriftRow[];
  overridden: OverriddenAssignment[];
}

/** In sync: every key holds, at runtime and at boot, what ctdoctor's file says. */
export function auditInSync(audit: PersistAudit): boolean {
  return audit.rows.every((row) => row.inSync);
}
