import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import pc from 'picocolors';
import { applyPersist } from '../actions/persist.js';
import { CtdoctorError } from '../core/errors.js';
import { HELPER_BLACKLIST_FILE, planHelpers } from '../core/plan/conntrackHelpers.js';
import { runTool } from '../host/childProcess.js';
import { underRoot } from '../host/confTree.js';
import { readHelperStatus } from '../host/helperStatus.js';
import { type CommonOptions, addCommonOptions, openContext } from './context.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor } from './stateOptions.js';

interface HelpersOptions extends CommonOptions, StateOptions {
  apply?: boolean;
}

export function helpersCommand(setExit: (code: number) => void): Command {
  const command = new Command('helpers').description(
    'conntrack helpers (ftp, sip, …): loaded or built in, in use or not; plan to unload unused ones',
  );
  addStateOptions(addCommonOptions(command)).option(
    '--apply',
    'unload unused helper modules and blacklist them (modprobe.d)',
  );
  return command.action(async (options: HelpersOptions) => {
    const context = await openContext(options);
    const statuses = await readHelperStatus(context.files, context.roots);
    const plan = planHelpers(statuses);
    const toUnload = plan.filter((item) => item.action === 'unload');
    let journalId: string | null = null;
    if (options.apply && toUnload.length > 0) {
      if (process.getuid?.() !== 0 && options.root === '/')
        throw new CtdoctorError('permission', 'unloading modules needs root: run with sudo');
      for (const item of toUnload) {
        const result = await runTool('modprobe', ['-r', `nf_conntrack_${item.name}`]);
        if (result.exitCode !== 0)
          throw new CtdoctorError('kernel', `modprobe -r nf_conntrack_${item.name}: ${result.stderr.trim()}`);
      }
      const path = underRoot(options.root, HELPER_BLACKLIST_FILE);
      const current = await readFile(path, 'utf8').catch(() => '');
      const lines = toUnload
        .map((item) => `install nf_conntrack_${item.name} /bin/false`)
        .filter((line) => !current.includes(line));
      const content = `${current || '# Written by ctdoctor helpers: conntrack helpers nothing here uses.\n'}${lines.map((line) => `${line}\n`).join('')}`;
      const result = await applyPersist(
        [{ path: HELPER_BLACKLIST_FILE, content, why: 'keep unused helpers unloaded' }],
        {},
        { journal: journalFor(options), realPath: (p) => underRoot(options.root, p), reload: null },
      );
      journalId = result.journalId;
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
    }
    setExit(EXIT.ok);
  });
}

function lines(text: string): void {
  process.stdout.write(`${text}\n`);
}
