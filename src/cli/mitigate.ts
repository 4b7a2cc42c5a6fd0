import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { applyMitigation } from '../actions/mitigate.js';
import { LOSS_COUNTERS } from '../core/counters.js';
import { CtdoctorError } from '../core/errors.js';
import {
  DEFAULT_HEADROOM,
  DEFAULT_MEMORY_BUDGET_SHARE,
  planMitigation,
} from '../core/plan/mitigationPlan.js';
import { DEFAULT_THRESHOLDS } from '../core/status.js';
import { resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { measureLoss } from '../collectors/lossWindow.js';
import { probeStatus } from '../collectors/statusProbe.js';
import { renderMitigation } from '../render/mitigateText.js';
import {
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
 * "2G", "512M", "300000000" or "15%" (of MemTotal) → bytes. A budget beyond RAM guards nothing: a
 * table that size would be allocated from memory the host does not have.
 */
export function parseMemoryBudget(text: string, memTotalBytes: number): number {
  const match = /^(\d+(?:\.\d+)?)\s*(%|[KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!match)
    throw new CtdoctorError(
      'usage',
      `--memory-budget "${text}" is not a size (e.g. 2G, 512M) or a percentage of RAM (e.g. 15%)`,
    );
  const value = Number(match[1]);
  const unit = (match[2] ?? 'B').toUpperCase()[0]!;
  const scale: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
  const bytes = unit === '%' ? (value / 100) * memTotalBytes : value * scale[unit]!;
  // A bare "0.15" is 0.15 bytes, never the 15 % it usually means; no table fits in under 1 MiB.
  if (unit !== '%' && bytes < 1024 ** 2)
    throw new CtdoctorError(
      'usage',
      `--memory-budget ${text} is ${bytes} bytes, smaller than any table: write a size (e.g. 2G) or a share of RAM with % (e.g. 15%)`,
    );
  if (bytes <= 0 || bytes > memTotalBytes)
    throw new CtdoctorError(
      'usage',
      `--memory-budget ${text} must be more than 0 and at most the ${(memTotalBytes / 1024 ** 3).toFixed(1)} GiB of RAM (100%)`,
    );
  return bytes;
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
    const self = await resolveNetns(undefined, context.roots);
    const selfFiles = netnsFiles(self, context.roots);
    const sampleOptions = { source: options.source, netlinkAllowed: context.netlinkAllowed };
    const status = await probeStatus(context.files, context.facts, {
      ...sampleOptions,
      intervalSeconds: options.interval,
      thresholds: DEFAULT_THRESHOLDS,
    });
    const lossPerSecond = LOSS_COUNTERS.reduce((sum, name) => sum + (status.rates?.[name] ?? 0), 0);
    const memTotal = context.facts.memTotalBytes ?? 0;
    if (memTotal === 0)
      throw new CtdoctorError('not-found', '/proc/meminfo is unreadable: cannot size the table safely');
    const plan = planMitigation({
      count: status.count,
      max: status.max,
      buckets: status.buckets,
      lossPerSecond,
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
    const before = {
      count: status.count,
      max: status.max,
      buckets: status.buckets,
      lossPerSecond,
      netns: status.netns,
    };
    if (!options.apply) {
      if (options.json) printJson({ schema: 'ctdoctor.mitigate/v1', before, plan, applied: false });
      else process.stdout.write(`${renderMitigation(before, plan, null, undoCommand(options))}\n`);
      return plan.refusal ? EXIT.failure : EXIT.ok;
    }
    if (process.getuid?.() !== 0)
      throw new CtdoctorError('permission', 'changing nf_conntrack_max needs root: run with sudo');
    if (!self.initial) {
      throw new CtdoctorError(
        'read-only',
        "nf_conntrack_max and buckets are global and writable only from the host's initial network namespace: run ctdoctor on the host (not in a container or child netns)",
      );
    }
    const result = await applyMitigation(
      plan,
      sysctlAccess(selfFiles, context.roots),
      journalFor(options),
      () => measureLoss(context.files, sampleOptions, options.verifySeconds),
    );
    if (options.json) printJson({ schema: 'ctdoctor.mitigate/v1', before, plan, ...result });
    else process.stdout.write(`${renderMitigation(before, plan, result, undoCommand(options))}\n`);
    return result.relieved === false ? EXIT.failure : EXIT.ok;
  });
}
