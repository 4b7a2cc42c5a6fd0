import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { applyFirewallSteps, planNotrack } from '../actions/notrack.js';
import { measureShare } from '../analysisRuntime/portShare.js';
import { CtdoctorError } from '../core/errors.js';
import { parseNetwork } from '../core/firewall/blockGuards.js';
import { type NotrackSpec, filterHooksOf, parsePortSpec } from '../core/firewall/notrackRules.js';
import type { NotrackResult, PortShare } from '../core/plan/notrackResult.js';
import { type BackendChoice, Firewall, detectBackend } from '../host/firewall.js';
import { openLiveTable } from '../host/tableSource.js';
import { notrackJson, renderNotrackText } from '../render/notrackText.js';
import { type CommandContext, type CommonOptions, addCommonOptions, openContext } from './context.js';
import { addBackendOption } from './firewallOptions.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor, undoCommand } from './stateOptions.js';

interface NotrackOptions extends CommonOptions, StateOptions {
  port: string;
  proto: string;
  direction: string;
  address?: string;
  remove?: boolean;
  force?: boolean;
  apply?: boolean;
  backend: BackendChoice;
}

export function notrackCommand(): Command {
  const command = new Command('notrack').description(
    'exempt stateless high-rate traffic from conntrack with raw-table rules (plan; --apply to add, --remove to delete)',
  );
  addBackendOption(addStateOptions(addCommonOptions(command)))
    .requiredOption('--port <port>', 'the port (a local service with --direction in)')
    .option('--proto <proto>', 'tcp or udp', 'tcp')
    .option('--direction <dir>', 'in (a service here), out (connections from here), both', 'in')
    .option('--address <cidr>', 'only traffic with this peer address or network')
    .option('--remove', "delete ctdoctor's rules for this port instead")
    .option('--force', 'add the rules even where the ruleset relies on tracking for this port')
    .option('--apply', 'change the ruleset (without it, only the plan is printed)');
  return actionWithExitCode(command, async (options: NotrackOptions) => {
    const result = await runNotrack(options);
    if (options.json) printJson(notrackJson(result));
    else process.stdout.write(`${renderNotrackText(result, undoCommand(options))}\n`);
    return result.refused && options.apply ? EXIT.failure : EXIT.ok;
  });
}

function specOf(options: NotrackOptions): NotrackSpec {
  return {
    ...parsePortSpec(Number(options.port), options.proto, options.direction),
    ...(options.address ? { address: parseNetwork(options.address).text } : {}),
  };
}

/** The filter hooks whose rulesets could rely on tracking the port: where its packets pass. */
/** The port's share of the live table now, or null when the table cannot be read: an estimate only. */
async function portShare(context: CommandContext, options: NotrackOptions, spec: NotrackSpec) {
  const table = await openLiveTable(context.files, context.roots, options.source, context.netlinkAllowed);
  return measureShare(table, `proto=${spec.proto} dport=${spec.port}`).catch((): PortShare | null => null);
}

/** Plans the rules, measures what they would free and, with --apply (unless refused), changes the ruleset. */
async function runNotrack(options: NotrackOptions): Promise<NotrackResult> {
  const spec = specOf(options);
  const context = await openContext(options);
  const firewall = new Firewall(context.files, await detectBackend(context.files, options.backend));
  const plan = await planNotrack(firewall, spec, filterHooksOf(spec));
  const effect = await portShare(context, options, spec);
  const mode = options.remove ? 'remove' : 'add';
  const refusals = plan.concerns.filter((concern) => concern.severity === 'refuse');
  const refused = refusals.length > 0 && !options.force && !options.remove;
  let change: NotrackResult['change'] = null;
  if (options.apply && !refused) {
    if (process.getuid?.() !== 0)
      throw new CtdoctorError('permission', 'changing the firewall needs root: run with sudo');
    const command = options.remove ? 'notrack --remove' : 'notrack';
    change = await applyFirewallSteps(firewall, plan.steps, journalFor(options), command, mode);
  }
  return {
    spec,
    backend: plan.backend,
    netnsPath: context.files.target.isSelf ? null : context.files.target.path,
    mode,
    steps: plan.steps.map(({ description, present }) => ({ description, present })),
    concerns: plan.concerns,
    effect,
    refused,
    change,
  };
}
