import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { pc } from '../render/colors.js';
import type { EntryState, JournalChange } from '../actions/journal.js';
import { describeChange } from '../actions/journaledApply.js';
import { rollbackChanges } from '../actions/rollback.js';
import { CtdoctorError } from '../core/errors.js';
import { underRoot } from '../host/confTree.js';
import { resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { DEFAULT_ROOTS } from '../host/roots.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor } from './stateOptions.js';

interface RollbackCliOptions extends StateOptions {
  to?: string;
  list?: boolean;
  force?: boolean;
  json?: boolean;
}

/** A change as --list and a rollback show it: files say whether a backup was kept. */
function describe(change: JournalChange): string {
  if (change.kind === 'file') return `${change.path}${change.backup ? ' (backup kept)' : ' (new file)'}`;
  return describeChange(change);
}

/** How --list explains an entry that is not simply applied. */
const STATE_NOTE: Record<Exclude<EntryState, 'applied'>, string> = {
  interrupted: 'interrupted: ctdoctor stopped mid-apply; rollback undoes what it did',
  'partly undone': 'failed and partly undone; rollback undoes the rest',
  'undone on failure': 'failed, nothing left changed',
  'rolled back': 'rolled back',
};

export function rollbackCommand(): Command {
  const command = new Command('rollback').description(
    'undo the last change ctdoctor applied (or back to --to ID); --list shows the journal',
  );
  addStateOptions(command)
    .option('--to <id>', 'undo every change back to and including this journal id')
    .option('--list', 'list the journal instead')
    .option('--force', 'restore even if something else changed the value or file since')
    .option('--json', 'print JSON');
  return actionWithExitCode(command, async (options: RollbackCliOptions) => {
    const journal = journalFor(options);
    if (options.list) {
      const { entries, warnings } = await journal.all();
      if (options.json) printJson({ schema: 'ctdoctor.journal/v1', path: journal.path, entries, warnings });
      else {
        for (const warning of warnings) process.stderr.write(pc.yellow(`warning: ${warning}\n`));
        if (entries.length === 0) process.stdout.write(`no changes journaled in ${journal.path}\n`);
        for (const entry of entries) {
          process.stdout.write(
            `${pc.bold(entry.id)}  ${entry.time}  ${entry.command}${entry.state === 'applied' ? '' : pc.dim(`  (${STATE_NOTE[entry.state]})`)}\n`,
          );
          for (const change of entry.changes) process.stdout.write(`    ${describe(change)}\n`);
        }
      }
      return EXIT.ok;
    }
    if (process.getuid?.() !== 0 && options.root === '/')
      throw new CtdoctorError('permission', 'rollback changes the system: run with sudo');
    const result = await rollbackChanges(journal, {
      toId: options.to,
      force: Boolean(options.force),
      realPath: (path) => underRoot(options.root, path),
      accessFor: async (netns) =>
        sysctlAccess(netnsFiles(await resolveNetns(netns, DEFAULT_ROOTS), DEFAULT_ROOTS), DEFAULT_ROOTS),
    });
    if (options.json) printJson({ schema: 'ctdoctor.rollback/v1', ...result });
    else {
      for (const entry of result.undone) {
        process.stdout.write(`rolled back ${pc.bold(entry.id)} (${entry.command})\n`);
        for (const change of [...entry.changes, ...(entry.inDoubt ?? [])])
          process.stdout.write(`    ${describe(change)}  restored\n`);
      }
      for (const warning of result.warnings) process.stdout.write(pc.yellow(`warning: ${warning}\n`));
    }
    return EXIT.ok;
  });
}
