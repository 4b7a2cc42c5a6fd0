import { CtdoctorError } from '../core/errors.js';
import {
  NFT_NOTRACK_TABLE,
  type NotrackSpec,
  addressFamily,
  iptablesRuleArgs,
  nftRuleBody,
  notrackRules,
} from '../core/firewall/notrackRules.js';
import { type RulesetConcern, reviewIptablesSave, reviewNftRuleset } from '../core/firewall/rulesetReview.js';
import type { Firewall } from '../host/firewall.js';
import { withChangeLock } from './changeLock.js';
import type { Journal, JournalChange } from './journal.js';

export interface FirewallStep {
  description: string;
  present: boolean;
  /** How to add it: an argv, or an nft script for `nft --echo --handle -f -`. */
  add: { command: string; args: string[]; script?: string; chain?: string };
  /** How to remove it once added (nft handles are known only after adding). */
  remove: { command: string; args: string[] } | null;
}

export interface NotrackPlan {
  spec: NotrackSpec;
  backend: Firewall['backend'];
  steps: FirewallStep[];
  concerns: RulesetConcern[];
}

const NFT_CHAINS = `add table inet ${NFT_NOTRACK_TABLE}
add chain inet ${NFT_NOTRACK_TABLE} prerouting { type filter hook prerouting priority raw; policy accept; }
add chain inet ${NFT_NOTRACK_TABLE} output { type filter hook output priority raw; policy accept; }
`;

/** Rules of an nft table with their handles, by chain: `nft -a list table`. */
export function nftRulesWithHandles(listing: string): { chain: string; text: string; handle: number }[] {
  const rules: { chain: string; text: string; handle: number }[] = [];
  let chain = '';
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const header = /^chain (\S+) \{/.exec(line);
    if (header) chain = header[1]!;
    const rule = /^(.*) # handle (\d+)$/.exec(line);
    if (
      rule &&
      chain &&
      !line.startsWith('chain ') &&
      !line.startsWith('table ') &&
      !line.startsWith('type ')
    ) {
      rules.push({ chain, text: rule[1]!, handle: Number(rule[2]) });
    }
  }
  return rules;
}

async function nftTable(firewall: Firewall, table: string): Promise<string> {
  const result = await firewall.run('nft', ['-a', 'list', 'table', 'inet', table]);
  return result.exitCode === 0 ? result.stdout : '';
}

/**
 * Rules of legacy iptables (x_tables) filter packets beside nf_tables ones. The backend is chosen
 * without reading rulesets (#11.22), so a host whose `iptables` is nft can still hold legacy rules
 * (an old Docker's own binary): they are reviewed too.
 */
async function reviewLegacyRules(
  firewall: Firewall,
  port: number,
  hooks: string[],
): Promise<RulesetConcern[]> {
  const concerns: RulesetConcern[] = [];
  for (const binary of ['iptables-legacy', 'ip6tables-legacy']) {
    const save = await firewall.run(`${binary}-save`, []).catch((error: unknown) => {
      if (error instanceof CtdoctorError && error.kind === 'missing-tool') return null;
      throw error;
    });
    if (save?.exitCode === 0 && /^-A /m.test(save.stdout))
      concerns.push(
        ...reviewIptablesSave(
          save.stdout,
          port,
          hooks.map((hook) => hook.toUpperCase()),
          binary,
        ),
      );
  }
  return concerns;
}

export async function planNotrack(
  firewall: Firewall,
  spec: NotrackSpec,
  hooks: string[],
): Promise<NotrackPlan> {
  const steps: FirewallStep[] = [];
  let concerns: RulesetConcern[];
  if (firewall.backend === 'nft') {
    const existing = nftRulesWithHandles(await nftTable(firewall, NFT_NOTRACK_TABLE));
    for (const rule of notrackRules(spec)) {
      const body = nftRuleBody(spec, rule);
      const found = existing.find((r) => r.chain === rule.chain && r.text === body);
      steps.push({
        description: `nft: inet ${NFT_NOTRACK_TABLE} ${rule.chain}: ${body}`,
        present: found !== undefined,
        add: {
          command: 'nft',
          args: ['--echo', '--handle', '-f', '-'],
          script: `${NFT_CHAINS}add rule inet ${NFT_NOTRACK_TABLE} ${rule.chain} ${body}\n`,
          chain: rule.chain,
        },
        remove: found
          ? {
              command: 'nft',
              args: ['delete', 'rule', 'inet', NFT_NOTRACK_TABLE, rule.chain, 'handle', String(found.handle)],
            }
          : null,
      });
    }
    concerns = [
      ...reviewNftRuleset(await firewall.check('nft', ['list', 'ruleset']), spec.port, hooks),
      ...(await reviewLegacyRules(firewall, spec.port, hooks)),
    ];
  } else {
    const families: (4 | 6)[] = spec.address ? [addressFamily(spec.address)] : [4, 6];
    concerns = [];
    for (const family of families) {
      const binary = firewall.iptables(family);
      for (const rule of notrackRules(spec)) {
        const chain = rule.chain === 'prerouting' ? 'PREROUTING' : 'OUTPUT';
        const args = iptablesRuleArgs(spec, rule);
        const present = (await firewall.run(binary, ['-t', 'raw', '-C', chain, ...args])).exitCode === 0;
        steps.push({
          description: `${binary} -t raw ${chain} ${args.join(' ')}`,
          present,
          add: { command: binary, args: ['-t', 'raw', '-A', chain, ...args] },
          remove: { command: binary, args: ['-t', 'raw', '-D', chain, ...args] },
        });
      }
      const save = await firewall.check(`${binary}-save`, []);
      concerns.push(
        ...reviewIptablesSave(
          save,
          spec.port,
          hooks.map((hook) => hook.toUpperCase()),
          binary,
        ),
      );
    }
  }
  return { spec, backend: firewall.backend, steps, concerns };
}

/** Adds the missing steps (or, with `remove`, deletes the present ones) and journals each with its undo. */
export async function applyFirewallSteps(
  firewall: Firewall,
  steps: FirewallStep[],
  journal: Journal,
  command: string,
  mode: 'add' | 'remove',
): Promise<{ journalId: string | null; changed: string[] }> {
  return withChangeLock(journal.stateDir, async () => {
    const changes: JournalChange[] = [];
    const changed: string[] = [];
    for (const step of steps) {
      if (mode === 'add' && step.present) continue;
      if (mode === 'remove' && (!step.present || !step.remove)) continue;
      if (mode === 'add') {
        const output = await firewall.check(step.add.command, step.add.args, step.add.script);
        const handle = /# handle (\d+)\s*$/m.exec(
          output
            .split('\n')
            .filter((line) => line.includes('add rule'))
            .pop() ?? '',
        )?.[1];
        const undo =
          step.add.command === 'nft'
            ? handle && step.add.chain
              ? firewall.argv('nft', [
                  'delete',
                  'rule',
                  'inet',
                  NFT_NOTRACK_TABLE,
                  step.add.chain,
                  'handle',
                  handle,
                ])
              : null
            : step.remove && firewall.argv(step.remove.command, step.remove.args);
        if (!undo)
          throw new CtdoctorError('kernel', `added "${step.description}" but could not learn how to undo it`);
        changes.push({ kind: 'command', description: step.description, undo });
      } else {
        await firewall.check(step.remove!.command, step.remove!.args);
        const readd = step.add.script
          ? firewall.argv('nft', ['-f', '-'])
          : firewall.argv(step.add.command, step.add.args);
        changes.push({
          kind: 'command',
          description: `removed ${step.description}`,
          undo: readd,
          ...(step.add.script ? { input: step.add.script } : {}),
        });
      }
      changed.push(step.description);
    }
    if (changes.length === 0) return { journalId: null, changed };
    const journalId = journal.newId();
    await journal.record({ id: journalId, time: new Date().toISOString(), command, changes });
    return { journalId, changed };
  });
}
