import { CtdoctorError } from '../errors.js';
import { timeoutRefusal } from './settingBounds.js';

export interface TimeoutSpec {
  /** Short name as the timeouts table shows it: `tcp_timeout_established`. */
  name: string;
  /** The sysctl key: `net.netfilter.nf_conntrack_tcp_timeout_established`. */
  key: string;
  seconds: number;
}

/**
 * `tcp_timeout_established=86400`, with or without the `net.netfilter.nf_conntrack_` prefix, as
 * `--set` and `--timeout` take it; a value outside what the kernel accepts safely is refused here.
 */
export function parseTimeoutSpec(spec: string, flag: string): TimeoutSpec {
  const match = /^(?:net\.netfilter\.)?(?:nf_conntrack_)?([a-z0-9_]+)=(-?\d+)$/.exec(spec.trim());
  if (!match || !match[1]!.includes('timeout'))
    throw new CtdoctorError(
      'usage',
      `${flag} "${spec}" is not NAME=SECONDS (e.g. tcp_timeout_established=86400)`,
    );
  const name = match[1]!;
  const seconds = Number(match[2]);
  const refusal = timeoutRefusal(name, seconds);
  if (refusal) throw new CtdoctorError('usage', `${flag} ${refusal}`);
  return { name, key: `net.netfilter.nf_conntrack_${name}`, seconds };
}
