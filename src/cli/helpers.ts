import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { unloadHelpers } from '../actions/helpers.js';
import { CtdoctorError } from '../core/errors.js';
import { planHelpers } from '../core/plan/conntrackHelpers.js';
import type { HelpersResult } from '../core/plan/helpersResult.js';
import { readHelperStatus } from '../host/helperStatus.js';
import { helpersJson, renderHelpersText } from '../render/helpersText.js';
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
    const result = await runHelpers(options);
    if (options.json) printJson(helpersJson(result));
    else process.stdout.write(`${renderHelpersText(result, undoCommand(options))}\n`);
    return EXIT.ok;
  });
}

/** Reads each helper's use, plans, and with --apply unloads the unused ones. */
async function runHelpers(options: HelpersOptions): Promise<HelpersResult> {
  const context = await openContext(options);
  const helpers = await readHelperStatus(context.files, context.roots, true);
  const plan = planHelpers(helpers);
  const toUnload = plan.filter((item) => item.action === 'unload');
  const applied = Boolean(options.apply && toUnload.length > 0);
  let journalId: string | null = null;
  if (applied) {
    if (process.getuid?.() !== 0 && options.root === '/')
      throw new CtdoctorError('permission', 'unloading modules needs root: run with sudo');
    journalId = await unloadHelpers(toUnload, options.root, journalFor(options));
  }
  return { helpers, plan, applied, journalId };
}
