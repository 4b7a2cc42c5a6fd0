/**
 * Every failure a user can cause or meet is a CtdoctorError: a one-line message that names the fix.
 * The CLI maps `kind` to an exit code and never prints a stack trace for these.
 */
export type ErrorKind =
  | 'usage' // bad flags or values
  | 'not-found' // a file, namespace or process that does not exist
  | 'permission' // needs root or a capability
  | 'not-loaded' // nf_conntrack is not loaded / not active
  | 'read-only' // a key that cannot be written from here (child netns, container)
  | 'missing-tool' // conntrack-tools, nft, iptables, nsenter
  | 'bad-input' // unparseable input
  | 'refused' // a guard refused an action (memory budget, lock-out)
  | 'busy' // another ctdoctor holds the lock
  | 'kernel'; // the kernel rejected a write

export class CtdoctorError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CtdoctorError';
  }
}

/**
 * Also true for a CtdoctorError of another bundle of this program (the launcher's prestart bundle
 * has its own copy of this class).
 */
export function isCtdoctorError(value: unknown): value is CtdoctorError {
  return (
    value instanceof CtdoctorError ||
    (value instanceof Error && value.name === 'CtdoctorError' && 'kind' in value)
  );
}
