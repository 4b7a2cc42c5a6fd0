import { CtdoctorError, isCtdoctorError } from '../core/errors.js';
import { crashPoint } from '../host/crashPoint.js';
import { type UndoContext, inEffect, undoChangeNow } from './changeUndo.js';
import { type JournalChange, describeChange } from '../core/journal/journalEntry.js';
import type { Journal } from './journal.js';

/** One change of an apply: journaled (with its before state) before anything is done. */
export interface ChangeStep {
  change: JournalChange;
  /** Makes the change exactly as journaled (a value the kernel adjusts is a failure, undone). */
  apply(): Promise<void>;
}

export interface JournaledApply {
  journal: Journal;
  id: string;
  command: string;
  undo: UndoContext;
}

/**
 * All or nothing, crash-safe: journals the whole plan, then makes the changes one by one, journaling
 * each; on a failure undoes what was made, newest first, and reports what (if anything) is left.
 * A crash at any point leaves an entry `ctdoctor rollback` can undo exactly. Returns the changes as made.
 */
export async function applyJournaled(run: JournaledApply, steps: ChangeStep[]): Promise<JournalChange[]> {
  if (steps.length === 0) return [];
  const { journal, id } = run;
  await journal.begin({
    id,
    time: new Date().toISOString(),
    command: run.command,
    changes: steps.map((step) => step.change),
  });
  crashPoint('journal begin');
  const made: JournalChange[] = [];
  for (const [index, step] of steps.entries()) {
    try {
      await step.apply();
      crashPoint(describeChange(step.change));
      await journal.step(id, index);
      crashPoint('journal step');
      made.push(step.change);
    } catch (error) {
      throw await abort(run, [...made, step.change], error);
    }
  }
  await journal.commit(id);
  crashPoint('journal commit');
  return made;
}

/** Undoes, newest first, whatever of `tried` is in effect; returns what could not be undone. */
async function undoTried(
  run: JournaledApply,
  tried: JournalChange[],
): Promise<{ index: number; why: string }[]> {
  const left: { index: number; why: string }[] = [];
  await run.journal.undoing(run.id).catch(() => {}); // unrecorded, a crash now reads as one mid-apply
  crashPoint('journal undoing');
  for (let index = tried.length - 1; index >= 0; index--) {
    const change = tried[index]!;
    try {
      if (!(await inEffect(change, run.undo, run.journal.host))) continue;
      await undoChangeNow(change, run.undo, run.journal.host);
      crashPoint(`undo ${describeChange(change)}`);
    } catch (undoError) {
      left.push({ index, why: `${describeChange(change)} (${(undoError as Error).message})` });
    }
  }
  return left;
}

/** Undoes what a failed apply made, journals the outcome, and returns the one-line error to throw. */
async function abort(run: JournaledApply, tried: JournalChange[], error: unknown): Promise<CtdoctorError> {
  const left = await undoTried(run, tried);
  const reason = (error as Error).message ?? String(error);
  const unjournaled = await run.journal
    .abort(
      run.id,
      reason,
      left.map((item) => item.index),
    )
    .then(
      () => '',
      (journalError: Error) => ` (and the journal could not record this: ${journalError.message})`,
    );
  crashPoint('journal abort');
  const outcome =
    left.length === 0
      ? 'nothing was changed (what was done is undone)'
      : `STILL CHANGED: ${left.map((item) => item.why).join('; ')}: fix that, then ctdoctor rollback (journal ${run.id})`;
  const wrapped = new CtdoctorError(
    isCtdoctorError(error) ? error.kind : 'kernel',
    `${reason}; ${outcome}${unjournaled}`,
  );
  wrapped.cause = error;
  return wrapped;
}
