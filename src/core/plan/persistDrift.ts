export interface DriftRow {
  key: string;
  runtime: string | null;
  atBoot: string | null;
  bootFrom: string | null;
  ctdoctor: string | null;
  inSync: boolean;
}

/**
 * In sync: the kernel runs the value that boot would set (a file's, else the kernel default), and
 * ctdoctor's file, if any, is what boot sets.
 */
export function compareDrift(
  key: string,
  runtime: string | null,
  boot: { value: string | null; from: string | null },
  ctdoctor: string | null,
  kernelDefault: string | null,
): DriftRow {
  const atBoot = boot.value ?? kernelDefault;
  const bootFrom = boot.value !== null ? boot.from : kernelDefault !== null ? 'kernel default' : null;
  const inSync = atBoot !== null && runtime === atBoot && (ctdoctor === null || ctdoctor === atBoot);
  return { key, runtime, atBoot, bootFrom, ctdoctor, inSync };
}
