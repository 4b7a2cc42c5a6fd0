import { formatAddress, expandIPv6 } from '../../src/core/table/address.js';
import { type ConntrackEntry, FLAG, PROTOCOL_NAMES } from '../../src/core/table/entry.js';

/** procfs prints IPv6 fully expanded (%pI6); conntrack-tools compresses it (inet_ntop). */
function procfsAddress(key: number | string): string {
  if (typeof key === 'number') return formatAddress(key);
  return expandIPv6(key)!
    .map((group) => group.toString(16).padStart(4, '0'))
    .join(':');
}

function tuple(entry: ConntrackEntry, which: 'orig' | 'reply', style: 'procfs' | 'conntrack'): string {
  const t = entry[which];
  const address = style === 'procfs' ? procfsAddress : formatAddress;
  const parts = [`src=${address(t.src)}`, `dst=${address(t.dst)}`];
  if (entry.protoNum === 1 || entry.protoNum === 58)
    parts.push(`type=${t.sport}`, `code=${t.dport}`, `id=${t.icmpId}`);
  else if (t.sport >= 0) parts.push(`sport=${t.sport}`, `dport=${t.dport}`);
  if (t.packets >= 0) parts.push(`packets=${t.packets}`, `bytes=${t.bytes}`);
  return parts.join(' ');
}

/** Writes an entry the way ct_seq_show (procfs) or conntrack -L prints it: for round-trip tests. */
export function formatEntryLine(entry: ConntrackEntry, style: 'procfs' | 'conntrack'): string {
  const parts: string[] = [];
  if (style === 'procfs') parts.push(entry.l3 === 6 ? 'ipv6     10' : 'ipv4     2');
  // The kernel prints `unknown` for a protocol without a tracker (protocolName says unknown(N)).
  const name = PROTOCOL_NAMES[entry.protoNum] ?? 'unknown';
  parts.push(name.padEnd(8), String(entry.protoNum));
  if (entry.timeoutSeconds >= 0) parts.push(String(entry.timeoutSeconds));
  if (entry.state) parts.push(entry.state);
  parts.push(tuple(entry, 'orig', style));
  if (entry.flags & FLAG.UNREPLIED) parts.push('[UNREPLIED]');
  parts.push(tuple(entry, 'reply', style));
  if (entry.flags & FLAG.HW_OFFLOAD) parts.push('[HW_OFFLOAD]');
  else if (entry.flags & FLAG.OFFLOAD) parts.push('[OFFLOAD]');
  else if (entry.flags & FLAG.ASSURED) parts.push('[ASSURED]');
  if (entry.mark >= 0) parts.push(`mark=${entry.mark}`);
  if (entry.zone >= 0) parts.push(`zone=${entry.zone}`);
  if (entry.deltaTimeSeconds >= 0) parts.push(`delta-time=${entry.deltaTimeSeconds}`);
  if (entry.use >= 0) parts.push(`use=${entry.use}`);
  return parts.join(' ');
}
