import {
  type Network,
  type ProtectedAddress,
  blockConflicts,
  parseNetwork,
} from '../core/firewall/blockGuards.js';
import { CtdoctorError } from '../core/errors.js';
import type { Firewall } from '../host/firewall.js';
import { withChangeLock } from './changeLock.js';
import type { Journal, JournalChange } from './journal.js';

export const NFT_BLOCK_TABLE = 'ctdoctor_block';
const IPSET = { 4: 'ctdoctor-block4', 6: 'ctdoctor-block6' } as const;
const IPTABLES_BLOCK_COMMENT = 'ctdoctor block';

/**
 * Drop before conntrack (raw priority) on prerouting for traffic that arrives, and on output for
 * traffic generated here with that source (containers on this host, the lab), so no entry is made.
 */
const NFT_BLOCK_SETUP = `add table inet ${NFT_BLOCK_TABLE}
add set inet ${NFT_BLOCK_TABLE} blocked4 { type ipv4_addr; flags interval, timeout; }
add set inet ${NFT_BLOCK_TABLE} blocked6 { type ipv6_addr; flags interval, timeout; }
add chain inet ${NFT_BLOCK_TABLE} prerouting { type filter hook prerouting priority raw - 10; policy accept; }
add chain inet ${NFT_BLOCK_TABLE} output { type filter hook output priority raw - 10; policy accept; }
`;
const NFT_BLOCK_RULES = ['ip saddr @blocked4 drop', 'ip6 saddr @blocked6 drop'];

export interface BlockedEntry {
  address: string;
  expiresSeconds: number | null;
}

export interface BlockPlan {
  targets: Network[];
  ttlSeconds: number | null;
  refused: { target: string; conflicts: ProtectedAddress[] }[];
}

export function planBlock(
  targets: Network[],
  ttlSeconds: number | null,
  protectedAddresses: ProtectedAddress[],
  force: boolean,
): BlockPlan {
  const refused = targets
    .map((target) => ({ target: target.text, conflicts: blockConflicts(target, protectedAddresses) }))
    .filter((entry) => entry.conflicts.length > 0);
  return { targets, ttlSeconds, refused: force ? [] : refused };
}

async function ensureNftBlockTable(firewall: Firewall): Promise<void> {
  await firewall.check('nft', ['-f', '-'], NFT_BLOCK_SETUP);
  const listing = await firewall.check('nft', ['list', 'table', 'inet', NFT_BLOCK_TABLE]);
  for (const chain of ['prerouting', 'output']) {
    const block = listing.split(`chain ${chain} {`)[1]?.split('}')[0] ?? '';
    const missing = NFT_BLOCK_RULES.filter((rule) => !block.includes(rule));
    if (missing.length > 0)
      await firewall.check(
        'nft',
        ['-f', '-'],
        missing.map((rule) => `add rule inet ${NFT_BLOCK_TABLE} ${chain} ${rule}\n`).join(''),
      );
  }
}

async function ensureIpsetBlock(firewall: Firewall): Promise<void> {
  for (const family of [4, 6] as const) {
    await firewall.check('ipset', [
      'create',
      IPSET[family],
      'hash:net',
      'family',
      family === 4 ? 'inet' : 'inet6',
      'timeout',
      '0',
      '-exist',
    ]);
    const binary = firewall.iptables(family);
    for (const chain of ['PREROUTING', 'OUTPUT']) {
      const rule = [
        '-m',
        'set',
        '--match-set',
        IPSET[family],
        'src',
        '-m',
        'comment',
        '--comment',
        IPTABLES_BLOCK_COMMENT,
        '-j',
        'DROP',
      ];
      if ((await firewall.run(binary, ['-t', 'raw', '-C', chain, ...rule])).exitCode !== 0)
        await firewall.check(binary, ['-t', 'raw', '-I', chain, '1', ...rule]);
    }
  }
}

function nftElementArgs(verb: 'add' | 'delete', network: Network, ttlSeconds: number | null): string[] {
  const set = network.family === 4 ? 'blocked4' : 'blocked6';
  const element = verb === 'add' && ttlSeconds ? `${network.text} timeout ${ttlSeconds}s` : network.text;
  return [verb, 'element', 'inet', NFT_BLOCK_TABLE, set, `{ ${element} }`];
}

/** Deletes the network's existing entries so the table frees now; returns how many. */
export async function flushEntries(firewall: Firewall, network: Network): Promise<number> {
  const result = await firewall.run('conntrack', ['-D', '-s', network.text]);
  const deleted = /(\d+) flow entries have been deleted/.exec(result.stderr + result.stdout);
  if (!deleted && result.exitCode !== 0)
    throw new CtdoctorError('kernel', `conntrack -D -s ${network.text}: ${result.stderr.trim()}`);
  return deleted ? Number(deleted[1]) : 0;
}

export interface BlockResult {
  journalId: string | null;
  blocked: string[];
  flushed: Record<string, number>;
}

export async function applyBlock(
  firewall: Firewall,
  plan: BlockPlan,
  journal: Journal,
): Promise<BlockResult> {
  if (plan.refused.length > 0) {
    const first = plan.refused[0]!;
    throw new CtdoctorError(
      'refused',
      `refusing to block ${first.target}: it covers ${first.conflicts.map((c) => `${c.network.text} (${c.why})`).join(', ')}; use --force if you are sure`,
    );
  }
  return withChangeLock(journal.stateDir, async () => {
    const changes: JournalChange[] = [];
    const flushed: Record<string, number> = {};
    if (firewall.backend === 'nft') await ensureNftBlockTable(firewall);
    else await ensureIpsetBlock(firewall);
    for (const target of plan.targets) {
      if (firewall.backend === 'nft') {
        await firewall.check('nft', nftElementArgs('add', target, plan.ttlSeconds));
        changes.push({
          kind: 'command',
          description: `block ${target.text}`,
          undo: firewall.argv('nft', nftElementArgs('delete', target, null)),
        });
      } else {
        const set = IPSET[target.family];
        await firewall.check('ipset', [
          'add',
          set,
          target.text,
          ...(plan.ttlSeconds ? ['timeout', String(plan.ttlSeconds)] : []),
          '-exist',
        ]);
        changes.push({
          kind: 'command',
          description: `block ${target.text}`,
          undo: firewall.argv('ipset', ['del', set, target.text, '-exist']),
        });
      }
      // Flush after the block is in place, so the source cannot recreate entries in between.
      flushed[target.text] = await flushEntries(firewall, target);
    }
    const journalId = journal.newId();
    await journal.record({ id: journalId, time: new Date().toISOString(), command: 'block', changes });
    return { journalId, blocked: plan.targets.map((t) => t.text), flushed };
  });
}

export async function listBlocked(firewall: Firewall): Promise<BlockedEntry[]> {
  const entries: BlockedEntry[] = [];
  if (firewall.backend === 'nft') {
    for (const set of ['blocked4', 'blocked6']) {
      const result = await firewall.run('nft', ['list', 'set', 'inet', NFT_BLOCK_TABLE, set]);
      if (result.exitCode !== 0) continue;
      const body = /elements = \{([^}]*)\}/s.exec(result.stdout)?.[1] ?? '';
      for (const element of body
        .split(',')
        .map((text) => text.trim())
        .filter(Boolean)) {
        const [address = ''] = element.split(/\s+/);
        entries.push({
          address: listedNetwork(address),
          expiresSeconds: parseNftDuration(/expires (\S+)/.exec(element)?.[1]),
        });
      }
    }
    return entries;
  }
  for (const set of Object.values(IPSET)) {
    const result = await firewall.run('ipset', ['save', set]);
    for (const line of result.stdout.split('\n')) {
      const match = /^add \S+ (\S+)(?: timeout (\d+))?/.exec(line);
      if (match)
        entries.push({
          address: listedNetwork(match[1]!),
          expiresSeconds: match[2] ? Number(match[2]) : null,
        });
    }
  }
  return entries;
}

/**
 * An element as nft or ipset lists it, in the canonical text of parseNetwork, so that it compares
 * with what a user gives; anything else it could list (a range added by hand) stays as printed.
 */
function listedNetwork(text: string): string {
  try {
    return parseNetwork(text).text;
  } catch {
    return text;
  }
}

/** nft prints durations like 59m58s or 1h or 3599s. */
function parseNftDuration(text: string | undefined): number | null {
  if (!text) return null;
  let seconds = 0;
  for (const [, value, unit] of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    seconds += Number(value) * ({ d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 }[unit as 'd'] ?? 0);
  }
  return Math.round(seconds);
}

export async function removeBlock(
  firewall: Firewall,
  targets: Network[],
  journal: Journal,
): Promise<{ journalId: string | null; removed: string[] }> {
  return withChangeLock(journal.stateDir, async () => {
    const current = new Set((await listBlocked(firewall)).map((entry) => entry.address));
    const changes: JournalChange[] = [];
    const removed: string[] = [];
    for (const target of targets) {
      if (!current.has(target.text)) continue;
      if (firewall.backend === 'nft') {
        await firewall.check('nft', nftElementArgs('delete', target, null));
        changes.push({
          kind: 'command',
          description: `unblock ${target.text}`,
          undo: firewall.argv('nft', nftElementArgs('add', target, null)),
        });
      } else {
        await firewall.check('ipset', ['del', IPSET[target.family], target.text]);
        changes.push({
          kind: 'command',
          description: `unblock ${target.text}`,
          undo: firewall.argv('ipset', ['add', IPSET[target.family], target.text, '-exist']),
        });
      }
      removed.push(target.text);
    }
    if (changes.length === 0) return { journalId: null, removed };
    const journalId = journal.newId();
    await journal.record({
      id: journalId,
      time: new Date().toISOString(),
      command: 'block --remove',
      changes,
    });
    return { journalId, removed };
  });
}
