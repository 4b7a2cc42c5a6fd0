/**
 * The shorter ESTABLISHED timeout ctdoctor suggests: 24 h, kube-proxy's
 * `conntrack.tcpEstablishedTimeout` default, against the kernel's 5 days.
 */
export const SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS = 86400;

/** ESTABLISHED entries idle longer than `newTimeout` (remaining < current − new): freed by lowering it. */
export function entriesIdleLongerThan(
  remainingHours: number[],
  currentSeconds: number,
  newSeconds: number,
): number {
  const limitHours = (currentSeconds - newSeconds) / 3600;
  let freed = 0;
  for (let hour = 0; hour < remainingHours.length; hour++)
    if (hour + 1 <= limitHours) freed += remainingHours[hour]!;
  return freed;
}
