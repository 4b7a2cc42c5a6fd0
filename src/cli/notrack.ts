import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { pc } from '../render/colors.js';
import { applyFirewallSteps, planNotrack } from '../actions/notrack.js';
import { CtdoctorError } from '../core/errors.js';
import { parseNetwork } from '../core/firewall/blockGuards.js';
import { type NotrackSpec, notrackTag, parsePortSpec } from '../core/firewall/notrackRules.js';
import { type BackendChoice, Firewall, detectBackend } from '../host/firewall.js';
import { measureShare } from '../analysisRuntime/portShare.js';
import { formatCount, formatPercent } from '../render/format.js';
import { openLiveTable } from '../host/tableSource.js';
import { type CommonOptions, addCommonOptions, openContext } from './context.js';
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
    const spec: NotrackSpec = {
      ...parsePortSpec(Number(options.port), options.proto, options.direction),
      ...(options.address ? { address: parseNetwork(options.address).text } : {}),
    };
    const context = await openContext(options);
    const firewall = new Firewall(context.files, await detectBackend(context.files, options.backend));
    const hooks =
      spec.direction === 'in' ? ['input'] : spec.direction === 'out' ? ['output'] : ['input', 'output'];
    const plan = await planNotrack(firewall, spec, hooks);
    const effect = await measureShare(
      await openLiveTable(context.files, context.roots, options.source, context.netlinkAllowed),
      `proto=${spec.proto} dport=${spec.port}`,
    ).catch(() => null);
    const refusals = plan.concerns.filter((concern) => concern.severity === 'refuse');
    const refused = refusals.length > 0 && !options.force && !options.remove;
    let result: { journalId: string | null; changed: string[] } | null = null;
    if (options.apply && !refused) {
      if (process.getuid?.() !== 0)
        throw new CtdoctorError('permission', 'changing the firewall needs root: run with sudo');
      result = await applyFirewallSteps(
        firewall,
        plan.steps,
        journalFor(options),
        options.remove ? 'notrack --remove' : 'notrack',
        options.remove ? 'remove' : 'add',
      );
    }
    if (options.json) {
      printJson({
        schema: 'ctdoctor.notrack/v1',
        spec,
        backend: plan.backend,
        steps: plan.steps.map(({ description, present }) => ({ description, present })),
        concerns: plan.concerns,
        effect,
        refused,
        applied: result !== null,
        ...(result ?? {}),
      });
    } else {
      const lines = [
        `${notrackTag(spec)} on ${plan.backend}${context.files.target.isSelf ? '' : ` in ${context.files.target.path}`}`,
      ];
      if (effect)
        lines.push(
          `  now: ${formatCount(effect.entries)} of ${formatCount(effect.total)} entries (${formatPercent(effect.total ? effect.entries / effect.total : 0)}) are ${spec.proto}/${spec.port}: what exempting it frees`,
        );
      for (const step of plan.steps)
        lines.push(
          `  ${step.present ? pc.dim('present') : options.remove ? '       ' : pc.green('add    ')} ${step.description}`,
        );
      for (const concern of plan.concerns) {
        lines.push(
          (concern.severity === 'refuse' ? pc.red : pc.yellow)(
            `  ${concern.severity === 'refuse' ? 'REFUSED' : 'warning'}: ${concern.problem}`,
          ),
        );
        if (concern.fix) lines.push(`    add first: ${concern.fix}`);
      }
      if (refused) lines.push(pc.red('  nothing changed: fix the ruleset first, or --force'));
      else if (result)
        lines.push(
          result.changed.length
            ? pc.green(
                `  ${options.remove ? 'removed' : 'added'} ${result.changed.length} rule(s); journal ${result.journalId}: undo with  ${undoCommand(options)}`,
              )
            : '  nothing to change: already in place',
        );
      else lines.push('  plan only: add --apply');
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return refused && options.apply ? EXIT.failure : EXIT.ok;
  });
}
