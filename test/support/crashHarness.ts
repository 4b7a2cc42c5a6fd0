import assert from 'node:assert/strict';
import { runCli } from './cli.js';

/** The most steps any apply takes here; a run that is never killed ends the loop long before. */
const MAX_STEPS = 60;

export interface CrashCase {
  /** The `--apply` command line. */
  apply: string[];
  /** Everything the apply may change, read as one comparable value. */
  snapshot: () => Promise<unknown>;
  /** --state-dir (and --root) for `rollback`. */
  stateArgs: string[];
  /** An argv every command runs under (setpriv as another user). */
  as?: string[];
  /** The apply fails (exit 1) when not killed: it must undo itself, and rollback a kill while it does. */
  fails?: boolean;
}

interface ListedEntry {
  id: string;
  state: string;
}

async function journalEntries(crash: CrashCase): Promise<ListedEntry[]> {
  const list = await runCli(['rollback', '--list', '--json', ...crash.stateArgs], { as: crash.as });
  assert.equal(list.code, 0, list.stderr);
  return JSON.parse(list.stdout).entries;
}

async function rollbackRestores(crash: CrashCase, original: unknown, id: string, after: string) {
  const rollback = await runCli(['rollback', '--json', ...crash.stateArgs], { as: crash.as });
  assert.equal(rollback.code, 0, `rollback after ${after}: ${rollback.stderr}`);
  assert.equal(JSON.parse(rollback.stdout).undone[0]?.id, id, `rollback after ${after} undoes its entry`);
  assert.deepEqual(await crash.snapshot(), original, `rollback after ${after} restores exactly`);
}

/** The state a run must leave its entry in: a kill before the commit leaves it interrupted. */
function expectedState(crash: CrashCase, killed: boolean, where: string): string {
  if (killed) return where === 'journal commit' ? 'applied' : 'interrupted';
  return crash.fails ? 'undone on failure' : 'applied';
}

/** Checks what one run (killed after `where`, or not) left, and rolls it back. */
async function checkRun(crash: CrashCase, original: unknown, entry: ListedEntry | undefined, where: string) {
  const killed = where !== 'the complete run';
  if (!entry) {
    assert.deepEqual(await crash.snapshot(), original, `killed after ${where}: changed but not journaled`);
    assert.ok(killed, 'the complete run journals its changes');
    return;
  }
  const settled = entry.state === 'undone on failure' && (where === 'journal abort' || !killed);
  assert.equal(entry.state, settled ? 'undone on failure' : expectedState(crash, killed, where), where);
  if (settled) assert.deepEqual(await crash.snapshot(), original, `${where}: a failed apply undoes itself`);
  else await rollbackRestores(crash, original, entry.id, where);
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
  let journaled = (await journalEntries(crash)).length;
  for (let step = 1; step <= MAX_STEPS; step++) {
    const env = { CTDOCTOR_CRASH_AFTER_STEP: String(step) };
    const run = await runCli(crash.apply, { env, as: crash.as });
    const killed = run.signal === 'SIGKILL';
    const where = killed ? (/killed after (.*)/.exec(run.stderr)?.[1] ?? `step ${step}`) : 'the complete run';
    if (!killed)
      assert.equal(run.code, crash.fails ? 1 : 0, `the run not killed (step ${step}): ${run.stderr}`);
    const entries = await journalEntries(crash);
    const entry = entries.length > journaled ? entries.at(-1) : undefined;
    journaled = entries.length;
    await checkRun(crash, original, entry, where);
    if (!killed) return { steps: step - 1, killedAfter };
    killedAfter.push(where);
  }
  throw new Error(`the apply was still being killed after ${MAX_STEPS} steps`);
}
