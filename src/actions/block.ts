import { type Network, parseNetwork } from '../core/firewall/blockGuards.js';
import { CtdoctorError } from '../core/errors.js';
import { type BlockPlan, blockRefusal } from '../core/plan/blockPlan.js';
import type { BlockResult, BlockedEntry, UnblockResult } from '../core/plan/blockResult.js';
import type { Firewall } from '../host/firewall.js';
import { withChangeLock } from './changeLock.js';
import { firewallStep, nftTableCreation } from './changeSteps.js';
import { undoContextOf } from './changeUndo.js';
import type { Journal } from './journal.js';
import { type ChangeStep, applyJournaled } from './journaledApply.js';

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

/** ctdoctor's nft block table, sets, chains and drop rules: created if absent, completed if not. */
async function nftBlockSetup(firewall: Firewall): Promise<ChangeStep[]> {
  const allRules = ['prerouting', 'output']
    .flatMap((chain) => NFT_BLOCK_RULES.map((rule) => `add rule inet ${NFT_BLOCK_TABLE} ${chain} ${rule}\n`))
    .join('');
  const creation = await nftTableCreation(firewall, NFT_BLOCK_TABLE, NFT_BLOCK_SETUP + allRules);
  if (creation.length > 0) return creation;
  const listing = await firewall.check('nft', ['list', 'table', 'inet', NFT_BLOCK_TABLE]);
  return ['prerouting', 'output'].flatMap((chain) => {
    const block = listing.split(`chain ${chain} {`)[1]?.split('}')[0] ?? '';
    return NFT_BLOCK_RULES.filter((rule) => !block.includes(rule)).map((rule) => {
      const description = `nft: inet ${NFT_BLOCK_TABLE} ${chain}: ${rule}`;
      return {
        change: {
          kind: 'nft-rule',
          description,
          nft: firewall.argv('nft', []),
          table: NFT_BLOCK_TABLE,
          chain,
          rule,
          added: true,
        },
        apply: async () => {
          await firewall.check('nft', ['-f', '-'], `add rule inet ${NFT_BLOCK_TABLE} ${chain} ${rule}\n`);
        },
      } satisfies ChangeStep;
    });
  });
}

const IPTABLES_BLOCK_RULE = (family: 4 | 6) => [
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

/** ctdoctor's ipsets and the raw-table rules that drop their members, each created if absent. */
async function ipsetBlockSetup(firewall: Firewall): Promise<ChangeStep[]> {
  const steps: ChangeStep[] = [];
  for (const family of [4, 6] as const) {
    const set = IPSET[family];
    if ((await firewall.run('ipset', ['list', '-n', set])).exitCode !== 0) {
      const create = ['create', set, 'hash:net', 'family', family === 4 ? 'inet' : 'inet6', 'timeout', '0'];
      steps.push(
        firewallStep(
          firewall,
          `ipset create ${set}`,
          { command: 'ipset', args: [...create, '-exist'] },
          { command: 'ipset', args: ['destroy', set] },
          { command: 'ipset', args: ['list', '-n', set], exits: 'zero' },
        ),
      );
    }
    const binary = firewall.iptables(family);
    for (const chain of ['PREROUTING', 'OUTPUT']) {
      const rule = IPTABLES_BLOCK_RULE(family);
      const check = ['-t', 'raw', '-C', chain, ...rule];
      if ((await firewall.run(binary, check)).exitCode === 0) continue;
      steps.push(
        firewallStep(
          firewall,
          `${binary} -t raw ${chain}: drop members of ${set}`,
          { command: binary, args: ['-t', 'raw', '-I', chain, '1', ...rule] },
          { command: binary, args: ['-t', 'raw', '-D', chain, ...rule] },
          { command: binary, args: check, exits: 'zero' },
        ),
      );
    }
  }
  return steps;
}

function nftElementArgs(
  verb: 'add' | 'delete' | 'get',
  network: Network,
  ttlSeconds: number | null,
): string[] {
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

export async function applyBlock(
  firewall: Firewall,
  plan: BlockPlan,
  journal: Journal,
): Promise<BlockResult> {
  const refusal = blockRefusal(plan);
  if (refusal) throw refusal;
  return withChangeLock(journal, async () => {
    const id = journal.newId();
    const current = new Set((await listBlocked(firewall)).map((entry) => entry.address));
    const setup =
      firewall.backend === 'nft' ? await nftBlockSetup(firewall) : await ipsetBlockSetup(firewall);
    const blocks = plan.targets
      .filter((target) => !current.has(target.text))
      .map((target) => blockStep(firewall, target, plan.ttlSeconds));
    const made = await applyJournaled({ journal, id, command: 'block', undo: undoContextOf(null) }, [
      ...setup,
      ...blocks,
    ]);
    // Flush once every block is in place, so a source cannot recreate entries in between.
    const flushed: Record<string, number> = {};
    for (const target of plan.targets) flushed[target.text] = await flushEntries(firewall, target);
    return { journalId: made.length > 0 ? id : null, blocked: plan.targets.map((t) => t.text), flushed };
  });
}

function blockStep(firewall: Firewall, target: Network, ttlSeconds: number | null): ChangeStep {
  const description = `block ${target.text}`;
  if (firewall.backend === 'nft')
    return firewallStep(
      firewall,
      description,
      { command: 'nft', args: nftElementArgs('add', target, ttlSeconds) },
      { command: 'nft', args: nftElementArgs('delete', target, null) },
      { command: 'nft', args: nftElementArgs('get', target, null), exits: 'zero' },
    );
  const set = IPSET[target.family];
  return firewallStep(
    firewall,
    description,
    {
      command: 'ipset',
      args: ['add', set, target.text, ...(ttlSeconds ? ['timeout', String(ttlSeconds)] : []), '-exist'],
    },
    { command: 'ipset', args: ['del', set, target.text, '-exist'] },
  );
}

function unblockStep(firewall: Firewall, target: Network): ChangeStep {
  const description = `unblock ${target.text}`;
  if (firewall.backend === 'nft')
    return firewallStep(
      firewall,
      description,
      { command: 'nft', args: nftElementArgs('delete', target, null) },
      { command: 'nft', args: nftElementArgs('add', target, null) },
      { command: 'nft', args: nftElementArgs('get', target, null), exits: 'nonzero' },
    );
  const set = IPSET[target.family];
  return firewallStep(
    firewall,
    description,
    { command: 'ipset', args: ['del', set, target.text] },
    { command: 'ipset', args: ['add', set, target.text, '-exist'] },
    { command: 'ipset', args: ['test', set, target.text], exits: 'nonzero' },
  );
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
): Promise<UnblockResult> {
  return withChangeLock(journal, async () => {
    const id = journal.newId();
    const current = new Set((await listBlocked(firewall)).map((entry) => entry.address));
    const present = targets.filter((target) => current.has(target.text));
    const made = await applyJournaled(
      { journal, id, command: 'block --remove', undo: undoContextOf(null) },
      present.map((target) => unblockStep(firewall, target)),
    );
    return { journalId: made.length > 0 ? id : null, removed: present.map((target) => target.text) };
  });
}
