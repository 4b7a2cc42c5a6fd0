import type { CounterTotals } from '../counters.js';
import type { KernelVersion } from '../kernelInfo.js';
import { DEFAULT_HEADROOM, type MitigationPlan, planMitigation } from './mitigationPlan.js';

/**
 * The counters that mean the table is full: __nf_conntrack_alloc (net/netfilter/nf_conntrack_core.c)
 * counts `early_drop` when it evicts an unreplied entry to make room, and `drop` when nothing could
 * be evicted. `insert_failed` is left out: it also counts clashes (two CPUs inserting one new flow,
 * the parallel A/AAAA queries of DNS resolvers), which no bigger table cures.
 */
/** The journal's `command` for a relief: `rollback --list` shows it, the drift watcher and the alerts look for it. */
export const RELIEF_COMMAND = 'serve --auto-relief';

export const TABLE_FULL_COUNTERS = ['drop', 'early_drop'] as const;

/**
 * A namespace counts as full when its entries are within this share of the limit: the count is
 * read a moment after the counters, and entries expire in between, so a table that dropped at
 * exactly max may read a few below it.
 */
export const FULL_MARGIN_SHARE = 0.02;

/** One namespace at one sample, as the relief needs it (serve's NamespaceReading has these fields). */
export interface ReliefReading {
  inode: number;
  entries: number;
  /** nf_conntrack_max and _buckets are global: every namespace shows the host's. */
  max: number;
  buckets: number;
  counters: CounterTotals;
}

/** A namespace losing packets because its table is full, between two samples. */
export interface TableFullLoss {
  inode: number;
  entries: number;
  max: number;
  buckets: number;
  /** drop + early_drop between the two samples. */
  lost: number;
  seconds: number;
}

/** What the kernel and the operator allow a relief to take. */
export interface ReliefBounds {
  kernel: KernelVersion;
  memTotalBytes: number;
  entryBytes: number;
  hashsizeOption?: number;
  memoryBudgetBytes: number;
}

export interface ReliefInput {
  loss: TableFullLoss;
  nowMs: number;
  /** When the last relief was applied, if one was. */
  lastAppliedAtMs: number | undefined;
  cooldownSeconds: number;
  bounds: ReliefBounds;
}

export type ReliefDecision =
  | { kind: 'step'; plan: MitigationPlan; cappedByBudget: boolean }
  | { kind: 'skip'; reason: 'cool-down' | 'at the limit'; message: string };

function fullMargin(max: number): number {
  return Math.max(1, Math.ceil(max * FULL_MARGIN_SHARE));
}

function tableFullDelta(before: CounterTotals, after: CounterTotals): number {
  // A counter that went down was reset (the namespace was recreated under the same inode): no loss known.
  return TABLE_FULL_COUNTERS.reduce(
    (sum, name) => sum + Math.max(0, (after[name] ?? 0) - (before[name] ?? 0)),
    0,
  );
}

/**
 * The namespace losing the most packets to a full table between two samples, or undefined when
 * none is: a namespace that drops while far from full (a clash, a helper) is not a sizing problem.
 */
export function findTableFullLoss(
  previous: readonly ReliefReading[],
  latest: readonly ReliefReading[],
  seconds: number,
): TableFullLoss | undefined {
  const before = new Map(previous.map((reading) => [reading.inode, reading]));
  let worst: TableFullLoss | undefined;
  for (const reading of latest) {
    const earlier = before.get(reading.inode);
    if (!earlier || reading.entries < reading.max - fullMargin(reading.max)) continue;
    const lost = tableFullDelta(earlier.counters, reading.counters);
    if (lost > 0 && (!worst || lost > worst.lost)) {
      const { inode, entries, max, buckets } = reading;
      worst = { inode, entries, max, buckets, lost, seconds };
    }
  }
  return worst;
}

function planStep(loss: TableFullLoss, bounds: ReliefBounds, requestedMax?: number): MitigationPlan {
  return planMitigation({
    count: loss.entries,
    max: loss.max,
    buckets: loss.buckets,
    lossPerSecond: loss.lost / Math.max(loss.seconds, Number.EPSILON),
    kernel: bounds.kernel,
    memTotalBytes: bounds.memTotalBytes,
    entryBytes: bounds.entryBytes,
    ...(bounds.hashsizeOption !== undefined ? { hashsizeOption: bounds.hashsizeOption } : {}),
    ...(requestedMax !== undefined ? { requestedMax } : {}),
    headroom: DEFAULT_HEADROOM,
    memoryBudgetBytes: bounds.memoryBudgetBytes,
    force: false,
  });
}

/**
 * The largest max in (current, ceiling] that the planner accepts (the memory budget, the kernel's
 * limits), by bisection: acceptance only falls as max grows, since the table's memory grows with it.
 */
function largestAccepted(loss: TableFullLoss, bounds: ReliefBounds, ceiling: number): MitigationPlan | null {
  let accepted: MitigationPlan | null = null;
  let low = loss.max + 1;
  let high = ceiling;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const plan = planStep(loss, bounds, middle);
    if (plan.refusal === null) {
      accepted = plan;
      low = middle + 1;
    } else high = middle - 1;
  }
  return accepted;
}

function noHigherLimit(step: MitigationPlan): string {
  const { atMaxBytes, budgetBytes } = step.memory;
  if (atMaxBytes > budgetBytes)
    return `no higher limit fits the memory budget: a full table at the next step (max ${step.target.max}) would use ${mebibytes(atMaxBytes)}, the budget is ${mebibytes(budgetBytes)}; find what fills the table (ctdoctor analyze), or raise --relief-budget`;
  return `no higher limit is possible: ${step.refusal ?? 'the planner keeps the current values'}`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/**
 * One step of `mitigate`'s planner for a table that is full and dropping: the limit doubled at
 * least (the peak with headroom), buckets by the running kernel's rule, capped at the largest max
 * the memory budget holds. At most one step per cool-down; never a lower value (the planner only
 * lowers a limit when asked, and never shrinks the hash).
 */
export function decideRelief(input: ReliefInput): ReliefDecision {
  const { loss, bounds } = input;
  if (input.lastAppliedAtMs !== undefined) {
    const waitMs = input.lastAppliedAtMs + input.cooldownSeconds * 1000 - input.nowMs;
    if (waitMs > 0)
      return {
        kind: 'skip',
        reason: 'cool-down',
        message: `within the cool-down of the last relief: the next is possible in ${Math.ceil(waitMs / 1000)} s`,
      };
  }
  const step = planStep(loss, bounds);
  const plan = step.refusal === null ? step : largestAccepted(loss, bounds, step.target.max);
  const raises =
    plan !== null &&
    plan.changes.length > 0 &&
    plan.changes.every((change) => change.to > change.from) &&
    plan.target.max > loss.max;
  if (!raises) return { kind: 'skip', reason: 'at the limit', message: noHigherLimit(step) };
  return { kind: 'step', plan, cappedByBudget: plan !== step };
}
