import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { pc } from '../render/colors.js';
import { unloadHelpers } from '../actions/helpers.js';
import { CtdoctorError } from '../core/errors.js';
import { planHelpers } from '../core/plan/conntrackHelpers.js';
import { readHelperStatus } from '../host/helperStatus.js';
import { type CommonOptions, addCommonOptions, openContext } from './context.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor, undoCommand } from './stateOptions.js';

interface HelpersOptions extends CommonOptions, StateOptions {
  apply?: boolean;
}

export function helpersCommand(): Command {
  const command = new Command('helpers').description(
    'conntrack helpers (ftp, sip, …): loaded or built in, in use or not; plan to unload unused ones',
  );
  addStateOptions(addCommonOptions(command)).option(
    '--apply',
    'unload unused helper modules and blacklist them (modprobe.d)',
  );
  return actionWithExitCode(command, async (options: HelpersOptions) => {
    const context = await openContext(options);
    const statuses = await readHelperStatus(context.files, context.roots, true);
    const plan = planHelpers(statuses);
    const toUnload = plan.filter((item) => item.action === 'unload');
    let journalId: string | null = null;
    if (options.apply && toUnload.length > 0) {
      if (process.getuid?.() !== 0 && options.root === '/')
        throw new CtdoctorError('permission', 'unloading modules needs root: run with sudo');
      journalId = await unloadHelpers(toUnload, options.root, journalFor(options));
    }
    if (options.json)
      printJson({
        schema: 'ctdoctor.helpers/v1',
        helpers: statuses,
        plan,
        applied: Boolean(options.apply && toUnload.length > 0),
        journalId,
      });
    else {
      for (const [i, item] of plan.entries()) {
        const status = statuses[i]!;
        const label =
          item.action === 'unload'
            ? pc.yellow('unload  ')
            : item.action === 'keep'
              ? pc.green('in use  ')
              : pc.dim(item.action.padEnd(8));
        lines(`${label} ${item.name.padEnd(11)} ${status.presence.padEnd(13)} ${item.reason}`);
        for (const command of item.commands) lines(`          $ ${command}`);
      }
      if (toUnload.length === 0) lines('nothing to unload');
      else if (!options.apply) lines('plan only: add --apply');
      if (journalId) lines(`journal ${journalId}: undo with  ${undoCommand(options)}`);
    }
    return EXIT.ok;
  });
}

function lines(text: string): void {
  process.stdout.write(`${text}\n`);
}
