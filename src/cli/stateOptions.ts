import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_STATE_DIR, Journal } from '../actions/journal.js';
import { requireTreeRoot, underRoot } from '../host/confTree.js';
import { realHost } from '../host/hostSeam.js';
import { DEFAULT_ROOTS } from '../host/roots.js';

export interface StateOptions {
  stateDir?: string;
  root: string;
}

/**
 * Where the journal, backups and lock live; under --root when one is given. A --root that does
 * not exist is refused before the command runs.
 */
export function addStateOptions(command: Command): Command {
  return command
    .option(
      '--state-dir <dir>',
      `journal, backups and lock (default ${DEFAULT_STATE_DIR}, or $CTDOCTOR_STATE_DIR)`,
    )
    .option('--root <dir>', 'treat DIR as / for every file read or written (tests, image builds)', '/')
    .hook('preAction', async (_command, action) => {
      await requireTreeRoot((action.opts() as StateOptions).root);
    });
}

function stateDirOf(options: StateOptions): string {
  return options.stateDir ?? process.env.CTDOCTOR_STATE_DIR ?? underRoot(options.root, DEFAULT_STATE_DIR);
}

export function journalFor(options: StateOptions): Journal {
  return new Journal(stateDirOf(options), realHost);
}

/**
 * The rollback command that undoes what this run journaled, carrying --root, --proc-root and --state-dir (also a
 * state dir from $CTDOCTOR_STATE_DIR, which sudo does not pass on): followed literally it acts on
 * the same journal and tree.
 */
export function undoCommand(options: StateOptions & { procRoot?: string }): string {
  const words = ['ctdoctor', 'rollback'];
  if (options.root !== '/') words.push('--root', shellWord(options.root));
  // Sysctls written through a --proc-root tree are rolled back through it (core/journal/sysctlPlace.ts).
  const procRoot = resolve(options.procRoot ?? DEFAULT_ROOTS.procRoot);
  if (procRoot !== DEFAULT_ROOTS.procRoot) words.push('--proc-root', shellWord(procRoot));
  const stateDir = stateDirOf(options);
  if (stateDir !== underRoot(options.root, DEFAULT_STATE_DIR)) words.push('--state-dir', shellWord(stateDir));
  return words.join(' ');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
