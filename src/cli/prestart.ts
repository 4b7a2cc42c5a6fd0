import { statSync } from 'node:fs';
import { type ParseThread, prestartParseThread } from '../analysisRuntime/parseThread.js';
import { defaultThreadPlan } from '../analysisRuntime/threadPlan.js';
import { type ReaderThread, prestartTableReader } from '../host/procReader.js';

/** Threads the launcher started for the command it saw coming; the CLI takes them over. */
export interface Prestarted {
  parseThread?: ParseThread | null;
  tableReader?: ReaderThread | null;
}

/**
 * Run by the launcher (bin/ctdoctor.js) before it loads the CLI, from the raw arguments: a guess,
 * bundled apart so that it costs a few milliseconds, and what nobody takes is stopped at exit.
 * - `analyze` of a dump that will be read on two threads: its parse thread starts now and is up by
 *   the time the analysis begins (main → offerParseThread). Options that change the plan are left
 *   to the analysis.
 * - `analyze` of this namespace's live table: its reader starts reading /proc/net/nf_conntrack now,
 *   while the CLI loads; the kernel's dump is most of such a run (1.795 → 1.76 s on a million).
 */
export function prestartForArgs(argv: readonly string[]): Prestarted {
  if (argv[0] !== 'analyze') return {};
  if (readsLiveTableHere(argv.slice(1))) return { tableReader: prestartTableReader(LIVE_TABLE) };
  if (process.env.CTDOCTOR_ENGINE === 'typescript') return {};
  if (argv.some((arg) => /^--(filter|group-by|threads|sample)\b/.test(arg))) return {};
  const largeDump = argv.slice(1).some((arg) => {
    if (arg.startsWith('-')) return false;
    try {
      const info = statSync(arg);
      return info.isFile() && defaultThreadPlan(info.size, true).mode === 'pipeline';
    } catch {
      return false;
    }
  });
  return largeDump ? { parseThread: prestartParseThread() } : {};
}

const LIVE_TABLE = '/proc/net/nf_conntrack';
const FLAGS = new Set(['--json', '--debug']);
const WITH_VALUES = new Set(['--top', '--filter', '--group-by', '--sample', '--capacity']);

/**
 * Only options that keep the table this namespace's procfs file: no dump, no --netns or other
 * root, no --source netlink (any argument not known here means no guess).
 */
function readsLiveTableHere(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (FLAGS.has(arg)) continue;
    if (WITH_VALUES.has(arg) && i + 1 < args.length) i++;
    else if (arg === '--source' && ['procfs', 'auto'].includes(args[i + 1] ?? '')) i++;
    else return false;
  }
  try {
    statSync(LIVE_TABLE);
    return true;
  } catch {
    return false;
  }
}
