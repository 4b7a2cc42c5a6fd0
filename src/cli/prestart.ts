import { statSync } from 'node:fs';
import { type ParseThread, prestartParseThread } from '../analysisRuntime/parseThread.js';
import { defaultThreadPlan } from '../analysisRuntime/threadPlan.js';

/**
 * Run by the launcher (bin/ctdoctor.js) before it loads the CLI: when the command line asks for
 * `analyze` of a dump that will be read on two threads, the parse thread starts now and is up by
 * the time the analysis begins, which takes it over (main → offerParseThread). A guess from the raw
 * arguments, bundled apart so that it costs a few milliseconds: options that change the plan are
 * left to the analysis, and a thread nobody takes is stopped at exit.
 */
export function prestartForArgs(argv: readonly string[]): ParseThread | null {
  if (argv[0] !== 'analyze' || process.env.CTDOCTOR_ENGINE === 'typescript') return null;
  if (argv.some((arg) => /^--(filter|group-by|threads|sample)\b/.test(arg))) return null;
  const largeDump = argv.slice(1).some((arg) => {
    if (arg.startsWith('-')) return false;
    try {
      const info = statSync(arg);
      return info.isFile() && defaultThreadPlan(info.size, true).mode === 'pipeline';
    } catch {
      return false;
    }
  });
  return largeDump ? prestartParseThread() : null;
}
