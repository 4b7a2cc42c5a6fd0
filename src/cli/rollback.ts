import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { rollbackChanges } from '../actions/rollback.js';
import { CtdoctorError } from '../core/errors.js';
import type { JournalListing, RollbackResult } from '../core/journal/rollbackResult.js';
import { underRoot } from '../host/confTree.js';
import { resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { DEFAULT_ROOTS } from '../host/roots.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import {
  journalListJson,
  renderJournalList,
  renderJournalWarnings,
  renderRollbackText,
  rollbackJson,
} from '../render/rollbackText.js';
import { openRoots } from './context.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor } from './stateOptions.js';

interface RollbackCliOptions extends StateOptions {
  /** The procfs tree the rolled-back sysctls were written through. */
  procRoot: string;
  to?: string;
  list?: boolean;
  force?: boolean;
  json?: boolean;
}

export function rollbackCommand(): Command {
  const command = new Command('rollback').description(
    'undo the last change ctdoctor applied (or back to --to ID); --list shows the journal',
  );
  addStateOptions(command)
    .option('--to <id>', 'undo every change back to and including this journal id')
    .option('--list', 'list the journal instead')
    .option('--force', 'restore even if something else changed the value or file since')
    .option(
      '--proc-root <dir>',
      'the procfs tree the changes were written through (as they were applied)',
      '/proc',
    )
    .option('--json', 'print JSON');
  return actionWithExitCode(command, async (options: RollbackCliOptions) => {
    if (options.list) {
      const listing = await listJournal(options);
      if (options.json) printJson(journalListJson(listing));
      else {
        process.stderr.write(renderJournalWarnings(listing));
        process.stdout.write(renderJournalList(listing));
      }
      return EXIT.ok;
    }
    const result = await rollBack(options);
    if (options.json) printJson(rollbackJson(result));
    else process.stdout.write(renderRollbackText(result));
    return EXIT.ok;
  });
}

async function listJournal(options: RollbackCliOptions): Promise<JournalListing> {
  const journal = journalFor(options);
  return { path: journal.path, ...(await journal.all()) };
}

/** Undoes the newest change (or back to --to) in the tree --root names, each sysctl in its namespace. */
async function rollBack(options: RollbackCliOptions): Promise<RollbackResult> {
  if (process.getuid?.() !== 0 && options.root === '/')
    throw new CtdoctorError('permission', 'rollback changes the system: run with sudo');
  const roots = await openRoots({ procRoot: options.procRoot, sysRoot: DEFAULT_ROOTS.sysRoot });
  return rollbackChanges(journalFor(options), {
    toId: options.to,
    force: Boolean(options.force),
    realPath: (path) => underRoot(options.root, path),
    accessFor: async (netns) => sysctlAccess(netnsFiles(await resolveNetns(netns, roots), roots), roots),
  });
}
