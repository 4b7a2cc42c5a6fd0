import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { applyMitigation, tableSizeAccess } from '../actions/mitigate.js';
import { LOSS_COUNTERS } from '../core/counters.js';
import { CtdoctorError } from '../core/errors.js';
import {
  DEFAULT_HEADROOM,
  DEFAULT_MEMORY_BUDGET_SHARE,
  type MitigationPlan,
  planMitigation,
} from '../core/plan/mitigationPlan.js';
import type { MitigateReport, MitigationResult, TableBefore } from '../core/plan/mitigationResult.js';
import { parseMemoryBudget } from '../core/plan/memoryBudget.js';
import { DEFAULT_THRESHOLDS } from '../core/status.js';
import { measureLoss } from '../collectors/lossWindow.js';
import { probeStatus } from '../collectors/statusProbe.js';
import { mitigateJson, renderMitigation } from '../render/mitigateText.js';
import {
  type CommandContext,
  type CommonOptions,
  type DurationBounds,
  INTERVAL_BOUNDS,
  addCommonOptions,
  durationRange,
  openContext,
  parseDuration,
  parseWholeNumber,
  parsePositiveNumber,
} from './context.js';
import { bucketsRefusal, maxEntriesRefusal } from '../core/plan/settingBounds.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor, undoCommand } from './stateOptions.js';

interface MitigateOptions extends CommonOptions, StateOptions {
  max?: number;
  buckets?: number;
  headroom: number;
  memoryBudget?: string;
  force?: boolean;
  apply?: boolean;
  verifySeconds: number;
  interval: number;
}

/**
 * Loss after a change is judged over this window: as short as a rate's window (INTERVAL_BOUNDS);
 * past 10 min the operator is left waiting at the prompt, and a longer watch is `status --watch`'s.
 */
const VERIFY_BOUNDS: DurationBounds = { ...INTERVAL_BOUNDS, maxSeconds: 600 };

export function mitigateCommand(): Command {
  const command = new Command('mitigate').description(
    'plan (and with --apply, make) a bigger table now: nf_conntrack_max and buckets for this kernel, then verify the drops stopped',
  );
  addStateOptions(addCommonOptions(command))
    .option(
      '--max <entries>',
      'target nf_conntrack_max (default: peak × headroom, a power of two)',
      parseWholeNumber('--max', maxEntriesRefusal),
    )
    .option(
      '--buckets <n>',
      "target nf_conntrack_buckets (default: the running kernel's rule)",
      parseWholeNumber('--buckets', bucketsRefusal),
    )
    .option(
      '--headroom <factor>',
      'target max = peak count × this',
      parsePositiveNumber('--headroom'),
      DEFAULT_HEADROOM,
    )
    .option(
      '--memory-budget <size>',
      `refuse a table bigger than this at max (default ${DEFAULT_MEMORY_BUDGET_SHARE * 100}% of RAM)`,
    )
    .option('--force', 'override the memory and count guards')
    .option('--apply', 'make the change (without it, only the plan is printed)')
    .option(
      '--verify-seconds <s>',
      `after applying, watch the loss counters this long ${durationRange(VERIFY_BOUNDS)}`,
      parseDuration('--verify-seconds', VERIFY_BOUNDS),
      5,
    )
    .option(
      '--interval <seconds>',
      `window for the current drop rate ${durationRange(INTERVAL_BOUNDS)}`,
      parseDuration('--interval', INTERVAL_BOUNDS),
      1,
    );
  return actionWithExitCode(command, async (options: MitigateOptions) => {
    const context = await openContext(options);
    const before = await tableBefore(context, options);
    const plan = planFor(before, context, options);
    const result = options.apply ? await applyPlan(plan, context, options) : null;
    const report: MitigateReport = { before, plan, result };
    if (options.json) printJson(mitigateJson(report));
    else process.stdout.write(`${renderMitigation(report, undoCommand(options))}\n`);
    if (!result) return plan.refusal ? EXIT.failure : EXIT.ok;
    return result.relieved === false ? EXIT.failure : EXIT.ok;
  });
}

/** The table now: its size, and its loss rate over --interval. */
async function tableBefore(context: CommandContext, options: MitigateOptions): Promise<TableBefore> {
  const status = await probeStatus(context.files, context.facts, {
    source: options.source,
    netlinkAllowed: context.netlinkAllowed,
    intervalSeconds: options.interval,
    thresholds: DEFAULT_THRESHOLDS,
  });
  const lossPerSecond = LOSS_COUNTERS.reduce((sum, name) => sum + (status.rates?.[name] ?? 0), 0);
  return {
    count: status.count,
    max: status.max,
    buckets: status.buckets,
    lossPerSecond,
    netns: status.netns,
  };
}

function planFor(before: TableBefore, context: CommandContext, options: MitigateOptions): MitigationPlan {
  const memTotal = context.facts.memTotalBytes ?? 0;
  if (memTotal === 0)
    throw new CtdoctorError('not-found', '/proc/meminfo is unreadable: cannot size the table safely');
  return planMitigation({
    count: before.count,
    max: before.max,
    buckets: before.buckets,
    lossPerSecond: before.lossPerSecond,
    kernel: context.facts.kernelVersion,
    memTotalBytes: memTotal,
    entryBytes: context.facts.entrySize.bytes,
    requestedMax: options.max,
    requestedBuckets: options.buckets,
    headroom: options.headroom,
    memoryBudgetBytes: options.memoryBudget
      ? parseMemoryBudget(options.memoryBudget, memTotal)
      : memTotal * DEFAULT_MEMORY_BUDGET_SHARE,
    force: Boolean(options.force),
  });
}

/** Makes the plan's changes from the initial namespace, then watches the loss counters for --verify-seconds. */
async function applyPlan(
  plan: MitigationPlan,
  context: CommandContext,
  options: MitigateOptions,
): Promise<MitigationResult> {
  const sampleOptions = { source: options.source, netlinkAllowed: context.netlinkAllowed };
  return applyMitigation(plan, await tableSizeAccess(context.roots), journalFor(options), () =>
    measureLoss(context.files, sampleOptions, options.verifySeconds),
  );
}
