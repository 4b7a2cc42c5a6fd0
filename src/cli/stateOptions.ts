import type { Command } from 'commander';
import { DEFAULT_STATE_DIR, Journal } from '../actions/journal.js';
import { underRoot } from '../host/confTree.js';

export interface StateOptions {
  stateDir?: string;
  root: string;
}

/** Where the journal, backups and lock live; under --root when one is given. */
export function addStateOptions(command: Command): Command {
  return command
    .option(
      '--state-dir <dir>',
      `journal, backups and lock (default ${DEFAULT_STATE_DIR}, or $CTDOCTOR_STATE_DIR)`,
    )
    .option('--root <dir>', 'treat DIR as / for every file read or written (tests, image builds)', '/');
}

export function journalFor(options: StateOptions): Journal {
  return new Journal(
    options.stateDir ?? process.env.CTDOCTOR_STATE_DIR ?? underRoot(options.root, DEFAULT_STATE_DIR),
  );
}
