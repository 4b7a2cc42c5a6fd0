import { CtdoctorError } from '../core/errors.js';
import { sha256 } from '../host/atomicFile.js';
import type { Host, HostProcesses } from '../host/hostSeam.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import type { JournalChange } from '../core/journal/journalEntry.js';

/** Where a journaled change lives on this run. */
export interface UndoContext {
  /** Sysctl access for a namespace path (undefined: ctdoctor's own). */
  accessFor: (netns: string | undefined) => Promise<SysctlAccess>;
  /** Maps a journaled absolute path to where it is on this run (--root). */
  realPath: (path: string) => string;
}

/** The undo context of an apply that changes sysctls through one access (or none) and files under a root. */
export function undoContextOf(
  access: SysctlAccess | null,
  realPath: (path: string) => string = (path) => path,
): UndoContext {
  return {
    realPath,
    async accessFor() {
      if (!access) throw new CtdoctorError('kernel', 'no sysctl access for this undo');
      return access;
    },
  };
}

type NftRuleChange = Extract<JournalChange, { kind: 'nft-rule' }>;

/** Handles of the rules of a chain of an nft table that read exactly `rule` (`nft -a list table`). */
export function nftRuleHandles(listing: string, chain: string, rule: string): number[] {
  const handles: number[] = [];
  let inChain = false;
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const header = /^chain (\S+) \{/.exec(line);
    if (header) inChain = header[1] === chain;
    const match = /^(.*) # handle (\d+)$/.exec(line);
    if (inChain && !header && match?.[1] === rule) handles.push(Number(match[2]));
  }
  return handles;
}

async function nftRuleHandle(change: NftRuleChange, processes: HostProcesses): Promise<number | undefined> {
  const [nft, ...prefix] = change.nft;
  const listing = await processes.run(nft!, [...prefix, '-a', 'list', 'table', 'inet', change.table]);
  if (listing.exitCode !== 0) return undefined;
  return nftRuleHandles(listing.stdout, change.chain, change.rule).pop();
}

/**
 * Whether a change is in effect now: asked of a change a crash or a failure may have cut short,
 * so that undo never touches what ctdoctor never changed.
 */
export async function inEffect(change: JournalChange, context: UndoContext, host: Host): Promise<boolean> {
  switch (change.kind) {
    case 'sysctl':
      return (await (await context.accessFor(change.netns)).read(change.key)) !== change.before;
    case 'file': {
      const now = await host.files.read(context.realPath(change.path));
      return (now ? sha256(now) : null) === change.afterSha256;
    }
    case 'command': {
      if (!change.inEffectWhen) return true;
      const [command, ...args] = change.inEffectWhen.check;
      const result = await host.processes.run(command!, args);
      return (result.exitCode === 0) === (change.inEffectWhen.exits === 'zero');
    }
    case 'nft-rule':
      return ((await nftRuleHandle(change, host.processes)) !== undefined) === change.added;
  }
}

async function run(
  processes: HostProcesses,
  argv: string[],
  input: string | undefined,
  what: string,
): Promise<void> {
  const [command, ...args] = argv;
  const result = await processes.run(command!, args, { input });
  if (result.exitCode !== 0)
    throw new CtdoctorError(
      'kernel',
      `${what}: "${argv.join(' ')}" failed: ${result.stderr.trim().split('\n')[0] || `exit ${result.exitCode}`}`,
    );
}

/** Undoes one change unconditionally: the caller has checked that it is in effect. */
export async function undoChangeNow(change: JournalChange, context: UndoContext, host: Host): Promise<void> {
  switch (change.kind) {
    case 'sysctl':
      return (await context.accessFor(change.netns)).write(change.key, change.before);
    case 'file':
      return restoreFile(change, context.realPath(change.path), host);
    case 'command':
      return run(host.processes, change.undo, change.input, `undo of ${change.description}`);
    case 'nft-rule':
      return undoNftRule(change, host.processes);
  }
}

async function restoreFile(
  change: Extract<JournalChange, { kind: 'file' }>,
  path: string,
  host: Host,
): Promise<void> {
  if (!change.backup) return host.files.remove(path);
  const backup = await host.files.read(change.backup);
  if (backup === null)
    throw new CtdoctorError('not-found', `backup ${change.backup} is gone: cannot restore ${change.path}`);
  await host.files.writeAtomic(path, backup);
}

async function undoNftRule(change: NftRuleChange, processes: HostProcesses): Promise<void> {
  const [nft, ...prefix] = change.nft;
  const where = ['inet', change.table, change.chain];
  if (!change.added) {
    return run(
      processes,
      [nft!, ...prefix, '-f', '-'],
      `add rule ${where.join(' ')} ${change.rule}\n`,
      change.description,
    );
  }
  const handle = await nftRuleHandle(change, processes);
  if (handle === undefined) return;
  await run(
    processes,
    [nft!, ...prefix, 'delete', 'rule', ...where, 'handle', String(handle)],
    undefined,
    change.description,
  );
}
