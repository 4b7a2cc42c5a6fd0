import ipaddr from 'ipaddr.js';
import { CtdoctorError } from '../errors.js';

export interface Network {
  /**
   * Canonical text: dotted quad, RFC 5952 IPv6 (lower case, longest zero run as ::), no /32 or
   * /128. nft and ipset list their elements the same way, so texts compare as the addresses do.
   */
  text: string;
  family: 4 | 6;
  /** 32 or 128 bits as a bigint, and the prefix length. */
  bits: bigint;
  prefix: number;
}

/**
 * A validated address or CIDR given by a user (or read from `ip`, nft, ipset, SSH_CONNECTION),
 * in canonical text; anything else is a usage error (never passed on to a firewall tool).
 * Refused, not guessed at: IPv4 other than four decimal parts (ipaddr.js alone would take
 * `10.1` or `0x0a.0.0.1`), zone indexes (`fe80::1%eth0`), and host bits after the prefix:
 * nft and ipset silently widen `10.0.0.5/8` to all of `10.0.0.0/8`, which is rarely what the
 * person who typed the address meant.
 */
export function parseNetwork(text: string): Network {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const address = parseAddress(addressText, text);
  const family = address.kind() === 'ipv4' ? 4 : 6;
  const width = family === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const prefixText = trimmed.slice(slash + 1);
    prefix = Number(prefixText);
    if (!/^(0|[1-9]\d*)$/.test(prefixText) || prefix > width)
      throw new CtdoctorError('usage', `"${text}": the prefix length must be 0 to ${width}`);
  }
  const bits = address.toByteArray().reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
  const hostBits = bits & ((1n << BigInt(width - prefix)) - 1n);
  if (hostBits !== 0n)
    throw new CtdoctorError(
      'usage',
      `"${text}" has bits set after its /${prefix} prefix: give the network ${canonical(fromBits(bits - hostBits, family))}/${prefix} or the address ${canonical(address)} alone`,
    );
  return {
    text: prefix === width ? canonical(address) : `${canonical(address)}/${prefix}`,
    family,
    bits,
    prefix,
  };
}

function parseAddress(addressText: string, text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (ipaddr.IPv4.isValidFourPartDecimal(addressText)) return ipaddr.IPv4.parse(addressText);
  if (addressText.includes(':') && !addressText.includes('%') && ipaddr.IPv6.isValid(addressText))
    return ipaddr.IPv6.parse(addressText);
  throw new CtdoctorError('usage', `"${text}" is not an IPv4 or IPv6 address or CIDR`);
}

function canonical(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  return address.kind() === 'ipv4' ? address.toString() : (address as ipaddr.IPv6).toRFC5952String();
}

function fromBits(bits: bigint, family: 4 | 6): ipaddr.IPv4 | ipaddr.IPv6 {
  const length = family === 4 ? 4 : 16;
  const bytes = Array.from({ length }, (_, i) => Number((bits >> BigInt(8 * (length - 1 - i))) & 0xffn));
  return ipaddr.fromByteArray(bytes);
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
