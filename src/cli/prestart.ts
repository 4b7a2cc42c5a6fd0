import { statSync } from 'node:fs';
import { prestartParseThread } from '../measure/parseThread.js';
import { defaultThreadPlan } from '../measure/threadPlan.js';

/**
 * Imported first by main.ts, so that it runs before the rest of the CLI is loaded: when the command
 * line asks for `analyze` of a dump that will be read on two threads, the parse thread starts now
 * and is up by the time the analysis begins (analyzeFilePipelined takes it over). A guess from the
 * raw arguments: options that change the plan are left to the analysis, and an unused thread is
 * stopped.
 */
function largeDumpToAnalyze(argv: readonly string[]): boolean {
  if (argv[0] !== 'analyze' || process.env.CTDOCTOR_ENGINE === 'typescript') return false;
  if (argv.some((arg) => /^--(filter|group-by|threads|sample)\b/.test(arg))) return false;
  return argv.slice(1).some((arg) => {
    if (arg.startsWith('-')) return false;
    try {
      const info = statSync(arg);
      return info.isFile() && defaultThreadPlan(info.size, true).mode === 'pipeline';
    } catch {
      return false;
    }
  });
}

if (largeDumpToAnalyze(process.argv.slice(2))) prestartParseThread();
