import type { Prestarted } from './prestart.js';
import { analyzeCommand } from './analyze.js';
import { blockCommand } from './block.js';
import { checkCommand } from './check.js';
import { doctorCommand } from './doctor.js';
import { helpersCommand } from './helpers.js';
import { mitigateCommand } from './mitigate.js';
import { notrackCommand } from './notrack.js';
import { persistCommand } from './persist.js';
import { labCommand } from './lab.js';
import { planCommand } from './plan.js';
import { rollbackCommand } from './rollback.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';
import { timeoutsCommand } from './timeouts.js';
import { topCommand } from './top.js';
import { VERSION, runProgram } from './program.js';

/** The CLI with every command (bin/ctdoctor.js loads analyzeMain.ts instead for `analyze`). */
export function main(argv: string[], prestarted: Prestarted = {}): Promise<number> {
  const commands = [
    doctorCommand(),
    statusCommand(),
    topCommand(),
    checkCommand(),
    analyzeCommand(),
    mitigateCommand(),
    planCommand(),
    labCommand(),
    persistCommand(),
    notrackCommand(),
    blockCommand(),
    helpersCommand(),
    timeoutsCommand(),
    rollbackCommand(),
    serveCommand(VERSION),
  ];
  return runProgram(argv, commands, prestarted);
}
