/**
 * What untracking a port would break, read from the ruleset text (`nft list ruleset` or
 * `iptables-save`): untracked packets match no `ct state established` rule and cannot be NATed.
 */
export interface RulesetConcern {
  severity: 'refuse' | 'warn';
  problem: string;
  /** The rule to add that makes it safe, in the ruleset's own syntax. */
  fix: string | null;
}

interface NftChain {
  family: string;
  table: string;
  name: string;
  hook: string | null;
  type: string | null;
  policy: string | null;
  rules: string[];
}

export function parseNftChains(ruleset: string): NftChain[] {
  const chains: NftChain[] = [];
  let family = '';
  let table = '';
  let chain: NftChain | null = null;
  for (const raw of ruleset.split('\n')) {
    const line = raw.trim();
    const tableMatch = /^table (\S+) (\S+) \{/.exec(line);
    if (tableMatch) {
      [family, table] = [tableMatch[1]!, tableMatch[2]!];
      continue;
    }
    const chainMatch = /^chain (\S+) \{/.exec(line);
    if (chainMatch) {
      chain = { family, table, name: chainMatch[1]!, hook: null, type: null, policy: null, rules: [] };
      chains.push(chain);
      continue;
    }
    if (!chain || line === '' || line === '}') {
      if (line === '}') chain = null;
      continue;
    }
    const base = /type (\S+) hook (\S+) .*?(?:policy (\S+);)?/.exec(line);
    if (base && line.startsWith('type ')) {
      chain.type = base[1]!;
      chain.hook = base[2]!;
      chain.policy = /policy (\w+)/.exec(line)?.[1] ?? 'accept';
      continue;
    }
    chain.rules.push(line);
  }
  return chains;
}

function mentionsPort(rule: string, port: number): boolean {
  return new RegExp(`(dport|sport|--dport|--sport|dports|--dports)\\s+\\{?[^;]*\\b${port}\\b`).test(rule);
}

export function reviewNftRuleset(ruleset: string, port: number, hooks: string[]): RulesetConcern[] {
  const concerns: RulesetConcern[] = [];
  const chains = parseNftChains(ruleset).filter((chain) => !chain.table.startsWith('ctdoctor_'));
  for (const chain of chains) {
    if (
      chain.type === 'nat' &&
      chain.rules.some((rule) => mentionsPort(rule, port) || /masquerade/.test(rule))
    ) {
      concerns.push({
        severity: chain.rules.some((rule) => mentionsPort(rule, port)) ? 'refuse' : 'warn',
        problem: `${chain.family} ${chain.table} ${chain.name} NATs ${chain.rules.some((rule) => mentionsPort(rule, port)) ? `port ${port}` : 'traffic (masquerade)'}: untracked packets are never NATed`,
        fix: null,
      });
    }
    if (chain.type !== 'filter' || !chain.hook || !hooks.includes(chain.hook) || chain.policy !== 'drop')
      continue;
    const usesCtState = chain.rules.some((rule) => /ct state/.test(rule));
    const acceptsUntracked = chain.rules.some((rule) => /ct state[^;]*untracked[^;]*accept/.test(rule));
    const acceptsPort = chain.rules.some(
      (rule) => mentionsPort(rule, port) && /accept/.test(rule) && !/ct state/.test(rule),
    );
    if (usesCtState && !acceptsUntracked && !acceptsPort) {
      concerns.push({
        severity: 'refuse',
        problem: `${chain.family} ${chain.table} ${chain.name} (hook ${chain.hook}) drops by default and accepts replies by ct state: untracked packets of port ${port} would be dropped`,
        fix: `nft insert rule ${chain.family} ${chain.table} ${chain.name} ct state untracked accept`,
      });
    }
  }
  return concerns;
}

export function reviewIptablesSave(
  save: string,
  port: number,
  chains: string[],
  binary: string,
): RulesetConcern[] {
  const concerns: RulesetConcern[] = [];
  let table = '';
  const policies = new Map<string, string>();
  const rules: { table: string; chain: string; rule: string }[] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const policy = /^:(\S+) (\S+)/.exec(line);
    if (policy && table === 'filter') policies.set(policy[1]!, policy[2]!);
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (rule) rules.push({ table, chain: rule[1]!, rule: rule[2]! });
  }
  const natted = rules.filter((r) => r.table === 'nat' && mentionsPort(r.rule, port));
  if (natted.length > 0)
    concerns.push({
      severity: 'refuse',
      problem: `the nat table handles port ${port} (${natted[0]!.chain}): untracked packets are never NATed`,
      fix: null,
    });
  for (const chain of chains) {
    if (policies.get(chain) !== 'DROP') continue;
    const mine = rules.filter((r) => r.table === 'filter' && r.chain === chain);
    const usesState = mine.some((r) => /--ctstate|--state/.test(r.rule));
    const acceptsUntracked = mine.some(
      (r) => /(--ctstate|--state) \S*UNTRACKED/.test(r.rule) && /-j ACCEPT/.test(r.rule),
    );
    const acceptsPort = mine.some(
      (r) => mentionsPort(r.rule, port) && /-j ACCEPT/.test(r.rule) && !/--ctstate|--state/.test(r.rule),
    );
    if (usesState && !acceptsUntracked && !acceptsPort) {
      concerns.push({
        severity: 'refuse',
        problem: `filter ${chain} drops by default and accepts replies by conntrack state: untracked packets of port ${port} would be dropped`,
        fix: `${binary} -I ${chain} -m conntrack --ctstate UNTRACKED -j ACCEPT`,
      });
    }
  }
  return concerns;
}
