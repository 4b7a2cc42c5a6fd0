import assert from 'node:assert/strict';
import { type CliResult, runCli } from './cli.js';

/** The most steps any apply takes here; a run that is never killed ends the loop long before. */
const MAX_STEPS = 60;

export interface CrashCase {
  /** The `--apply` command line. */
  apply: string[];
  /** Everything the apply may change, read as one comparable value. */
  snapshot: () => Promise<unknown>;
  /** --state-dir (and --root) for `rollback`. */
  stateArgs: string[];
}

interface ListedEntry {
  id: string;
  state: string;
}

async function journalEntries(stateArgs: string[]): Promise<ListedEntry[]> {
  const list = await runCli(['rollback', '--list', '--json', ...stateArgs]);
  assert.equal(list.code, 0, list.stderr);
  return JSON.parse(list.stdout).entries;
}

async function rollbackRestores(
  crash: CrashCase,
  original: unknown,
  id: string,
  after: string,
): Promise<void> {
  const rollback: CliResult = await runCli(['rollback', '--json', ...crash.stateArgs]);
  assert.equal(rollback.code, 0, `rollback after ${after}: ${rollback.stderr}`);
  assert.equal(JSON.parse(rollback.stdout).undone[0]?.id, id, `rollback after ${after} undoes its entry`);
  assert.deepEqual(await crash.snapshot(), original, `rollback after ${after} restores exactly`);
}

/**
 * Kills the apply (SIGKILL, through CTDOCTOR_CRASH_AFTER_STEP) after its 1st, 2nd, … step until a
 * run completes. After each kill the system is unchanged or the journal holds the entry, and
 * `rollback` restores the snapshot exactly; so does it after the complete run. Returns the steps.
 */
export async function crashAfterEveryStep(
  crash: CrashCase,
): Promise<{ steps: number; killedAfter: string[] }> {
  const original = await crash.snapshot();
  const killedAfter: string[] = [];
  let journaled = (await journalEntries(crash.stateArgs)).length;
  for (let step = 1; step <= MAX_STEPS; step++) {
    const run = await runCli(crash.apply, { env: { CTDOCTOR_CRASH_AFTER_STEP: String(step) } });
    const killed = run.signal === 'SIGKILL';
    const where = killed ? (/killed after (.*)/.exec(run.stderr)?.[1] ?? `step ${step}`) : 'the complete run';
    if (!killed) assert.equal(run.code, 0, `the run not killed (step ${step}) succeeds: ${run.stderr}`);
    const entries = await journalEntries(crash.stateArgs);
    if (entries.length === journaled) {
      assert.deepEqual(await crash.snapshot(), original, `killed after ${where}: changed but not journaled`);
      assert.ok(killed, 'the complete run journals its changes');
      killedAfter.push(where);
      continue;
    }
    journaled = entries.length;
    const entry = entries.at(-1)!;
    assert.equal(
      entry.state,
      killed ? (where === 'journal commit' ? 'applied' : 'interrupted') : 'applied',
      where,
    );
    await rollbackRestores(crash, original, entry.id, where);
    if (!killed) return { steps: step - 1, killedAfter };
    killedAfter.push(where);
  }
  throw new Error(`the apply was still being killed after ${MAX_STEPS} steps`);
}
