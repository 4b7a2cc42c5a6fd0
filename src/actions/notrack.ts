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
import { CtdoctorError } from '../core/errors.js';
import type { FirewallChange } from '../core/plan/notrackResult.js';
import { withChangeLock } from './changeLock.js';
import { nftRuleHandles, undoContextOf } from './changeUndo.js';
import type { JournalChange } from '../core/journal/journalEntry.js';
import type { Journal } from './journal.js';
import { nftTableCreation } from './changeSteps.js';
import { type ChangeStep, applyJournaled } from './journaledApply.js';

export interface FirewallStep {
  description: string;
  present: boolean;
  /** How to add it: an argv, or an nft script for `nft -f -`. */
  add: { command: string; args: string[]; script?: string };
  /** How to remove it (null: it is not there to remove). */
  remove: { command: string; args: string[] } | null;
  /** What the journal keeps when ctdoctor adds it, and when it removes it: each knows its undo. */
  whenAdded: JournalChange;
  whenRemoved: JournalChange;
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

/** A step per nft rule of the spec, found in the table by its text (nft handles change). */
function nftNotrackSteps(firewall: Firewall, spec: NotrackSpec, listing: string): FirewallStep[] {
  return notrackRules(spec).map((rule) => {
    const body = nftRuleBody(spec, rule);
    const handle = nftRuleHandles(listing, rule.chain, body).pop();
    const description = `nft: inet ${NFT_NOTRACK_TABLE} ${rule.chain}: ${body}`;
    const nftRule = {
      kind: 'nft-rule',
      nft: firewall.argv('nft', []),
      table: NFT_NOTRACK_TABLE,
      chain: rule.chain,
      rule: body,
    } as const;
    return {
      description,
      present: handle !== undefined,
      add: {
        command: 'nft',
        args: ['-f', '-'],
        script: `${NFT_CHAINS}add rule inet ${NFT_NOTRACK_TABLE} ${rule.chain} ${body}\n`,
      },
      remove:
        handle !== undefined
          ? {
              command: 'nft',
              args: ['delete', 'rule', 'inet', NFT_NOTRACK_TABLE, rule.chain, 'handle', String(handle)],
            }
          : null,
      whenAdded: { ...nftRule, description, added: true },
      whenRemoved: { ...nftRule, description: `removed ${description}`, added: false },
    };
  });
}

/** A step per raw-table rule of the spec for one iptables binary (`-C` tells if it is there). */
async function iptablesNotrackSteps(
  firewall: Firewall,
  spec: NotrackSpec,
  binary: string,
): Promise<FirewallStep[]> {
  const steps: FirewallStep[] = [];
  for (const rule of notrackRules(spec)) {
    const chain = rule.chain === 'prerouting' ? 'PREROUTING' : 'OUTPUT';
    const args = iptablesRuleArgs(spec, rule);
    const [check, add, remove] = ['-C', '-A', '-D'].map((verb) => ['-t', 'raw', verb, chain, ...args]);
    const description = `${binary} -t raw ${chain} ${args.join(' ')}`;
    const inEffect = (exits: 'zero' | 'nonzero') => ({ check: firewall.argv(binary, check!), exits });
    steps.push({
      description,
      present: (await firewall.run(binary, check!)).exitCode === 0,
      add: { command: binary, args: add! },
      remove: { command: binary, args: remove! },
      whenAdded: {
        kind: 'command',
        description,
        undo: firewall.argv(binary, remove!),
        inEffectWhen: inEffect('zero'),
      },
      whenRemoved: {
        kind: 'command',
        description: `removed ${description}`,
        undo: firewall.argv(binary, add!),
        inEffectWhen: inEffect('nonzero'),
      },
    });
  }
  return steps;
}

export async function planNotrack(
  firewall: Firewall,
  spec: NotrackSpec,
  hooks: string[],
): Promise<NotrackPlan> {
  if (firewall.backend === 'nft') {
    const steps = nftNotrackSteps(firewall, spec, await nftTable(firewall, NFT_NOTRACK_TABLE));
    const concerns = [
      ...reviewNftRuleset(await firewall.check('nft', ['list', 'ruleset']), spec.port, hooks),
      ...(await reviewLegacyRules(firewall, spec.port, hooks)),
    ];
    return { spec, backend: firewall.backend, steps, concerns };
  }
  const families: (4 | 6)[] = spec.address ? [addressFamily(spec.address)] : [4, 6];
  const steps: FirewallStep[] = [];
  const concerns: RulesetConcern[] = [];
  for (const family of families) {
    const binary = firewall.iptables(family);
    steps.push(...(await iptablesNotrackSteps(firewall, spec, binary)));
    const save = await firewall.check(`${binary}-save`, []);
    const upperHooks = hooks.map((hook) => hook.toUpperCase());
    concerns.push(...reviewIptablesSave(save, spec.port, upperHooks, binary));
  }
  return { spec, backend: firewall.backend, steps, concerns };
}

/** Adds the missing steps (or, with `remove`, deletes the present ones): one journaled, all-or-nothing entry. */
export async function applyFirewallSteps(
  firewall: Firewall,
  steps: FirewallStep[],
  journal: Journal,
  command: string,
  mode: 'add' | 'remove',
): Promise<FirewallChange> {
  const chosen = steps.filter((step) => (mode === 'add' ? !step.present : step.present && step.remove));
  if (chosen.length === 0) return { journalId: null, changed: [] };
  return withChangeLock(journal, async () => {
    const id = journal.newId();
    const setup =
      mode === 'add' && firewall.backend === 'nft'
        ? await nftTableCreation(firewall, NFT_NOTRACK_TABLE, NFT_CHAINS)
        : [];
    const changes: ChangeStep[] = chosen.map((step) =>
      mode === 'add'
        ? {
            change: step.whenAdded,
            apply: async () => {
              await firewall.check(step.add.command, step.add.args, step.add.script);
            },
          }
        : {
            change: step.whenRemoved,
            apply: async () => {
              await firewall.check(step.remove!.command, step.remove!.args);
            },
          },
    );
    await applyJournaled({ journal, id, command, undo: undoContextOf(null) }, [...setup, ...changes]);
    return { journalId: id, changed: chosen.map((step) => step.description) };
  });
}
