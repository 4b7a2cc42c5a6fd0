import type { Prestarted } from './prestart.js';
import { analyzeCommand } from './analyze.js';
import { runProgram } from './program.js';

/**
 * The CLI for `ctdoctor analyze …` alone, bundled apart (scripts/bundle-cli.mjs): an analysis of a
 * large dump is timed against an awk pipeline, and compiling every other command's code cost it
 * ~25 ms of start-up. The command, its options and its errors are main.ts's own.
 */
export function main(argv: string[], prestarted: Prestarted = {}): Promise<number> {
  return runProgram(argv, [analyzeCommand()], prestarted);
}
