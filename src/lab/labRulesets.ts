import { LAB_ENDPOINTS } from '../core/lab/labEndpoints.js';
import type { LabHelper } from '../core/lab/labHelpers.js';
import type { LabNotrack } from '../core/lab/labTuning.js';

/**
 * The nft rulesets a tuning loads into its measured namespace. In a single lab namespace the
 * traffic is local, so the output hook sees every new flow first; prerouting carries the same rules
 * for what loops back, and is where a router topology's forwarded flows arrive.
 */
function bothHooks(table: string, priority: string, lines: readonly string[], head: readonly string[] = []) {
  return [
    `table ${table} {`,
    ...head,
    '  chain output {',
    `    type filter hook output priority ${priority}; policy accept;`,
    ...lines,
    '  }',
    '  chain prerouting {',
    `    type filter hook prerouting priority ${priority}; policy accept;`,
    ...lines,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** NOTRACK in the raw table, both directions. */
export function notrackRuleset(rules: readonly LabNotrack[]): string {
  const lines = rules.flatMap(({ port, protocol }) => [
    `    ${protocol} dport ${port} notrack`,
    `    ${protocol} sport ${port} notrack`,
  ]);
  return bothHooks('inet ctdoctor_lab_raw', 'raw', lines);
}

/**
 * A `ct helper` object per helper and a rule giving it to the port's new flows. At mangle priority:
 * after conntrack has made the entry (-200), before DNAT rewrites the port (-100).
 */
export function helperRuleset(helpers: readonly LabHelper[]): string {
  const objectName = ({ name, port, protocol }: LabHelper) =>
    `lab_${name.replace('-', '_')}_${port}_${protocol}`;
  const objects = helpers.map(
    (helper) => `  ct helper ${objectName(helper)} { type "${helper.name}" protocol ${helper.protocol}; }`,
  );
  const lines = helpers.map(
    (helper) => `    ${helper.protocol} dport ${helper.port} ct helper set "${objectName(helper)}"`,
  );
  return bothHooks('inet ctdoctor_lab_helpers', 'mangle', lines, objects);
}

/**
 * The nat-service's service address, spread round-robin over its two backends (a Kubernetes
 * Service), at the hook where the load's new flows arrive.
 */
export function natRuleset(hook: 'output' | 'prerouting'): string {
  const { vip, port, dying, surviving, backendPort } = LAB_ENDPOINTS.natService;
  return [
    'table ip ctdoctor_lab_nat {',
    `  chain ${hook} {`,
    `    type nat hook ${hook} priority -100; policy accept;`,
    `    ip daddr ${vip} udp dport ${port} dnat to numgen inc mod 2 map { 0 : ${dying}, 1 : ${surviving} } : ${backendPort}`,
    '  }',
    '}',
    '',
  ].join('\n');
}
