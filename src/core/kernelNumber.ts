import { CtdoctorError } from './errors.js';

const UNSIGNED_DECIMAL = /^\d+$/;

/**
 * A number the kernel prints in /proc or /sys: every nf_conntrack_* sysctl (proc_dointvec and
 * proc_douintvec of values that are never negative), the hashsize module parameter (%u) and
 * /proc/stat's btime print decimal digits and a newline. Anything else (empty, signed, a fraction,
 * words) is a damaged tree or a file that is not what its path says: refused, never rendered.
 * `path` is the file as it was read, so the message names the tree, not /proc.
 */
export function parseKernelUnsigned(path: string, text: string, meaning = 'a count'): number {
  const trimmed = text.trim();
  const value = kernelUnsignedOrUndefined(trimmed);
  if (value === undefined) {
    throw new CtdoctorError('bad-input', `${path} holds "${trimmed.slice(0, 40)}", not ${meaning}`);
  }
  return value;
}

/** The same rule for one field of a multi-column file (slabinfo): undefined when it is not one. */
export function kernelUnsignedOrUndefined(field: string): number | undefined {
  const value = Number(field);
  return UNSIGNED_DECIMAL.test(field) && Number.isSafeInteger(value) ? value : undefined;
}
