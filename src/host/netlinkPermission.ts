import { CtdoctorError } from '../core/errors.js';

/**
 * conntrack-tools says "Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to
 * do this" (v1.4.7) or "Operation not permitted" when ctnetlink refuses the caller: one line that names
 * the two ways out, instead of relaying the tool's.
 */
export function netlinkPermissionError(
  stderr: string,
  what: string,
  /** The way out without netlink; events (`top`) have none. */
  alternative: string | null = 'use --source procfs',
): CtdoctorError | null {
  if (!/must be root|CAP_NET_ADMIN|Operation not permitted/i.test(stderr)) return null;
  return new CtdoctorError(
    'permission',
    `reading ${what} over netlink needs root (CAP_NET_ADMIN): run with sudo${alternative ? `, or ${alternative}` : ''}`,
  );
}
