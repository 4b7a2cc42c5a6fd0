import { CtdoctorError, isCtdoctorError } from '../core/errors.js';
import { type ProtectedAddress, parseNetwork } from '../core/firewall/blockGuards.js';
import { underRoot } from './confTree.js';
import { readOptionalText } from './fileRead.js';

export const ALLOWLIST_FILE = '/etc/ctdoctor/allowlist';

/** Networks never to block: one CIDR per line in the allowlist file (# comments), plus `extra`. */
export async function readAllowlist(root: string, extra: string[]): Promise<ProtectedAddress[]> {
  const file = (await readOptionalText(underRoot(root, ALLOWLIST_FILE))) ?? '';
  const entries = [
    ...file
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean),
    ...extra,
  ];
  return entries.map((text) => {
    try {
      return { network: parseNetwork(text), why: `allowlisted (${ALLOWLIST_FILE} or --allow)` };
    } catch (error) {
      if (!isCtdoctorError(error)) throw error;
      throw new CtdoctorError('usage', `${ALLOWLIST_FILE} or --allow: ${error.message}`, { cause: error });
    }
  });
}
