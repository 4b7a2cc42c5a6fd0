import { CtdoctorError } from '../errors.js';
import { expandIPv6, parseIPv4 } from '../table/address.js';

export interface Network {
  text: string;
  family: 4 | 6;
  /** 32 or 128 bits as a bigint, and the prefix length. */
  bits: bigint;
  prefix: number;
}

/** A validated address or CIDR; anything else is a usage error (never passed on to a shell). */
export function parseNetwork(text: string): Network {
  const [address = '', prefixText] = text.trim().split('/');
  const v4 = parseIPv4(address);
  if (v4 !== undefined) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > 32 ||
      (prefixText !== undefined && !/^\d+$/.test(prefixText))
    ) {
      throw new CtdoctorError('usage', `"${text}": bad prefix length`);
    }
    return {
      text: prefix === 32 ? address : `${address}/${prefix}`,
      family: 4,
      bits: BigInt(v4 >>> 0),
      prefix,
    };
  }
  const groups = expandIPv6(address);
  if (!groups) throw new CtdoctorError('usage', `"${text}" is not an IPv4 or IPv6 address or CIDR`);
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128)
    throw new CtdoctorError('usage', `"${text}": bad prefix length`);
  const bits = groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
  return { text: prefix === 128 ? address : `${address}/${prefix}`, family: 6, bits, prefix };
}

function masked(network: Network, prefix: number): bigint {
  const width = network.family === 4 ? 32 : 128;
  return prefix === 0 ? 0n : network.bits >> BigInt(width - prefix);
}

/** True when the two networks share any address. */
export function overlaps(a: Network, b: Network): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  return masked(a, prefix) === masked(b, prefix);
}

export interface ProtectedAddress {
  network: Network;
  why: string;
}

export const LOOPBACK: ProtectedAddress[] = [
  { network: parseNetwork('127.0.0.0/8'), why: 'loopback' },
  { network: parseNetwork('::1'), why: 'loopback' },
];

/** The client and server of the SSH session ctdoctor runs in ($SSH_CONNECTION). */
export function sshProtected(sshConnection: string | undefined): ProtectedAddress[] {
  if (!sshConnection) return [];
  const [client, , server] = sshConnection.trim().split(/\s+/);
  return [client, server].flatMap((address, i) => {
    try {
      return address
        ? [
            {
              network: parseNetwork(address),
              why: i === 0 ? "your SSH session's client (SSH_CONNECTION)" : "this host's SSH address",
            },
          ]
        : [];
    } catch {
      return [];
    }
  });
}

/** The protections a block would break; empty when it is safe. */
export function blockConflicts(target: Network, protectedAddresses: ProtectedAddress[]): ProtectedAddress[] {
  return protectedAddresses.filter((entry) => overlaps(target, entry.network));
}
