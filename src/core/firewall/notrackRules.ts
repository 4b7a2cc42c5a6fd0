import { CtdoctorError } from '../errors.js';

export type Direction = 'in' | 'out' | 'both';
export type Proto = 'tcp' | 'udp';

export interface NotrackSpec {
  port: number;
  proto: Proto;
  /** in: a service on this host (dport P in, sport P out); out: this host connecting to P. */
  direction: Direction;
  /** Limit to the peer address or network (CIDR). */
  address?: string;
}

export const NFT_NOTRACK_TABLE = 'ctdoctor_notrack';

/** One rule: where it goes and what it matches. `peer` is the remote side's address field. */
export interface NotrackRule {
  chain: 'prerouting' | 'output';
  portField: 'dport' | 'sport';
  peerField: 'saddr' | 'daddr';
  comment: string;
}

export function notrackTag(spec: NotrackSpec): string {
  return `ctdoctor notrack ${spec.proto}/${spec.port} ${spec.direction}${spec.address ? ` ${spec.address}` : ''}`;
}

/**
 * The raw-table rules that exempt a port from tracking (the playbook's PREROUTING --dport and
 * OUTPUT --sport pair for a local service, mirrored for outgoing connections). Raw runs before
 * conntrack (priority -300 vs -200), so matching packets never create an entry.
 */
export function notrackRules(spec: NotrackSpec): NotrackRule[] {
  const comment = notrackTag(spec);
  const inbound: NotrackRule[] = [
    { chain: 'prerouting', portField: 'dport', peerField: 'saddr', comment },
    { chain: 'output', portField: 'sport', peerField: 'daddr', comment },
  ];
  const outbound: NotrackRule[] = [
    { chain: 'output', portField: 'dport', peerField: 'daddr', comment },
    { chain: 'prerouting', portField: 'sport', peerField: 'saddr', comment },
  ];
  if (spec.direction === 'in') return inbound;
  if (spec.direction === 'out') return outbound;
  return [...inbound, ...outbound];
}

/**
 * The filter hooks whose rules an exempted flow's packets meet (input for a local service, output
 * for connections made here): the ruleset review checks that none of them needs the state.
 */
export function filterHooksOf(spec: NotrackSpec): string[] {
  return spec.direction === 'in' ? ['input'] : spec.direction === 'out' ? ['output'] : ['input', 'output'];
}

export function addressFamily(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** nft rule body, e.g. `tcp dport 8080 ip saddr 10.0.0.0/8 notrack comment "..."`. */
export function nftRuleBody(spec: NotrackSpec, rule: NotrackRule): string {
  const peer = spec.address
    ? ` ${addressFamily(spec.address) === 6 ? 'ip6' : 'ip'} ${rule.peerField} ${spec.address}`
    : '';
  return `${spec.proto} ${rule.portField} ${spec.port}${peer} notrack comment "${rule.comment}"`;
}

/** iptables arguments after `-t raw -A|-C|-D CHAIN`. */
export function iptablesRuleArgs(spec: NotrackSpec, rule: NotrackRule): string[] {
  const peer = spec.address ? [rule.peerField === 'saddr' ? '-s' : '-d', spec.address] : [];
  return [
    '-p',
    spec.proto,
    `--${rule.portField}`,
    String(spec.port),
    ...peer,
    '-m',
    'comment',
    '--comment',
    rule.comment,
    '-j',
    'CT',
    '--notrack',
  ];
}

export function parsePortSpec(
  port: number,
  proto: string,
  direction: string,
): Pick<NotrackSpec, 'port' | 'proto' | 'direction'> {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CtdoctorError('usage', `--port ${port} is not a port (1-65535)`);
  if (proto !== 'tcp' && proto !== 'udp') throw new CtdoctorError('usage', `--proto ${proto}: tcp or udp`);
  if (direction !== 'in' && direction !== 'out' && direction !== 'both')
    throw new CtdoctorError('usage', `--direction ${direction}: in, out or both`);
  return { port, proto, direction };
}
