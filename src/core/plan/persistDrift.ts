import { type BootValue, type BootValues, bootValueOf } from './sysctlPrecedence.js';

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
