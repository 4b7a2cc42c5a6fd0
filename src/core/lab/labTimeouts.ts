import { CtdoctorError } from '../errors.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../plan/timeoutDefaults.js';
import { type TimeoutSpec, parseTimeoutSpec } from '../plan/timeoutSpec.js';

/**
 * Timeouts are per namespace, so the lab shortens the ones that hold a finished flow: a load
 * reaches its steady state (rate × time held) in seconds instead of the kernel's two minutes of
 * TIME_WAIT. Little's law scales with them, so what a run shows at 5 s holds at 120 s with 24× the
 * entries. The output always says which ones were shortened.
 */
export const LAB_SHORT_TIMEOUTS: Readonly<Record<string, number>> = {
  tcp_timeout_time_wait: 5,
  tcp_timeout_syn_sent: 5,
  tcp_timeout_close: 2,
  udp_timeout: 5,
  udp_timeout_stream: 10,
  icmp_timeout: 5,
};

/** `--timeouts short` (the default), `kernel` (the kernel's own), or NAME=SECONDS,… over short. */
export function parseLabTimeouts(text: string): Record<string, number> {
  if (text === 'short') return { ...LAB_SHORT_TIMEOUTS };
  if (text === 'kernel') return {};
  const timeouts: Record<string, number> = { ...LAB_SHORT_TIMEOUTS };
  for (const part of text.split(',')) {
    if (!part.includes('='))
      throw new CtdoctorError(
        'usage',
        `--timeouts "${part}": give short, kernel, or NAME=SECONDS,… (e.g. tcp_timeout_time_wait=10)`,
      );
    const spec = knownTimeout(parseTimeoutSpec(part, '--timeouts'));
    timeouts[spec.name] = spec.seconds;
  }
  return timeouts;
}

/**
 * A timeout the lab can set in its namespace: one the kernel has for TCP, UDP, ICMP, GRE or the
 * generic protocol. Refused before the run, so a typo costs nothing (the kernel would refuse it only
 * once namespaces and generators were up).
 */
export function knownTimeout(spec: TimeoutSpec): TimeoutSpec {
  if (KERNEL_DEFAULT_TIMEOUTS[spec.name] === undefined)
    throw new CtdoctorError(
      'usage',
      `${spec.name} is not a conntrack timeout: use one of ${Object.keys(KERNEL_DEFAULT_TIMEOUTS).join(', ')}`,
    );
  return spec;
}
