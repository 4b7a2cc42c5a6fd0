import { kernelAtLeast, type KernelVersion } from '../kernelInfo.js';
import { tableMemoryBytes } from '../memory.js';
import { MAX_ENTRIES_LIMIT, bucketsAsAllocated, bucketsRefusal, maxEntriesRefusal } from './settingBounds.js';
import { ONE_TO_ONE_SINCE, bucketsForMax, kernelDefaults, nextPowerOfTwo } from './tableSizing.js';

export const MAX_KEY = 'net.netfilter.nf_conntrack_max';
export const BUCKETS_KEY = 'net.netfilter.nf_conntrack_buckets';

/** Default memory budget for the table at its new max: a tenth of RAM. */
export const DEFAULT_MEMORY_BUDGET_SHARE = 0.1;
export const DEFAULT_HEADROOM = 2;

export interface MitigationInput {
  count: number;
  /** Highest count seen recently (the peak), when known; else count. */
  peakCount?: number;
  max: number;
  buckets: number;
  /** Loss counters per second right now (drop + early_drop + insert_failed). */
  lossPerSecond: number;
  kernel: KernelVersion;
  memTotalBytes: number;
  entryBytes: number;
  hashsizeOption?: number;
  requestedMax?: number;
  requestedBuckets?: number;
  headroom: number;
  memoryBudgetBytes: number;
  force: boolean;
}

export interface SettingChange {
  key: string;
  from: number;
  to: number;
}

export interface MitigationPlan {
  schema: 'ctdoctor.mitigate-plan/v1';
  /** Changes in the order they are applied: buckets first when growing, so chains stay short. */
  changes: SettingChange[];
  target: { max: number; buckets: number };
  memory: {
    entryBytes: number;
    nowBytes: number;
    atMaxBytes: number;
    budgetBytes: number;
    memTotalBytes: number;
  };
  /** Why these numbers, in words. */
  reasons: string[];
  warnings: string[];
  /** Set when a guard refuses the plan (without --force). */
  refusal: string | null;
}

export function planMitigation(input: MitigationInput): MitigationPlan {
  const warnings: string[] = [];
  const { value: targetMax, reason: maxReason } = planMax(input);
  const { value: targetBuckets, reason: bucketsReason } = planBuckets(input, targetMax);
  const defaults = kernelDefaults(input.memTotalBytes, input.kernel, input.hashsizeOption);
  const reasons = [
    maxReason,
    bucketsReason,
    `kernel default on this machine: max ${defaults.max}, buckets ${defaults.buckets} (${defaults.rule})`,
  ];

  const memory = {
    entryBytes: input.entryBytes,
    nowBytes: tableMemoryBytes(input.count, input.buckets, input.entryBytes),
    atMaxBytes: tableMemoryBytes(targetMax, targetBuckets, input.entryBytes),
    budgetBytes: input.memoryBudgetBytes,
    memTotalBytes: input.memTotalBytes,
  };

  // The kernel's own limits cannot be forced; the guards after them can.
  const kernelRefusal = maxEntriesRefusal(targetMax) ?? bucketsRefusal(targetBuckets);
  let refusal = kernelRefusal ?? guardRefusal(input, targetMax, targetBuckets, memory);
  if (refusal && !kernelRefusal && input.force) {
    warnings.push(`--force: ${refusal}`);
    refusal = null;
  }
  if (targetMax < input.max) warnings.push(`max ${targetMax} is lower than the current ${input.max}`);

  return {
    schema: 'ctdoctor.mitigate-plan/v1',
    changes: settingChanges(input, targetMax, targetBuckets),
    target: { max: targetMax, buckets: targetBuckets },
    memory,
    reasons,
    warnings,
    refusal,
  };
}

/** A planned value and why, in words. */
interface PlannedValue {
  value: number;
  reason: string;
}

/** The new nf_conntrack_max: as requested, or the peak with headroom, never lower unasked. */
function planMax(input: MitigationInput): PlannedValue {
  if (input.requestedMax !== undefined) {
    return { value: input.requestedMax, reason: `max ${input.requestedMax} as requested (--max)` };
  }
  const peak = Math.max(input.count, input.peakCount ?? 0);
  const needed = nextPowerOfTwo(Math.ceil(Math.max(peak, 1) * input.headroom));
  const dropping = input.lossPerSecond > 0;
  // Never lower the limit unasked; while packets are lost, at least double it.
  const floor = dropping ? input.max * 2 : input.max;
  const value = Math.min(Math.max(needed, floor), MAX_ENTRIES_LIMIT);
  let reason: string;
  if (value === MAX_ENTRIES_LIMIT && value !== needed && value !== floor) {
    reason = `max ${value}: capped at the kernel's limit (peak ${peak} × headroom ${input.headroom} = ${needed})`;
  } else if (value === needed) {
    reason = `max ${value}: peak ${peak} entries × headroom ${input.headroom}, rounded up to a power of two`;
  } else if (dropping) {
    reason = `max ${value}: double the current ${input.max}, since packets are being lost now (peak ${peak} × headroom ${input.headroom} = ${needed})`;
  } else {
    reason = `max ${value}: the current limit already covers peak ${peak} × headroom ${input.headroom} = ${needed}`;
  }
  return { value, reason };
}

/** The new hash size: as requested (whole pages), or the kernel's own ratio to `targetMax`, never smaller. */
function planBuckets(input: MitigationInput, targetMax: number): PlannedValue {
  if (input.requestedBuckets !== undefined) {
    const value = bucketsAsAllocated(input.requestedBuckets);
    return {
      value,
      reason:
        value === input.requestedBuckets
          ? `buckets ${value} as requested (--buckets)`
          : `buckets ${value}: --buckets ${input.requestedBuckets} rounded up to whole pages of buckets, as the kernel allocates them`,
    };
  }
  const modern = kernelAtLeast(input.kernel, ...ONE_TO_ONE_SINCE);
  const ruleBuckets = bucketsForMax(input.kernel, targetMax);
  // Never shrink the hash: a resize rehashes every entry with bottom halves off.
  const value = Math.max(input.buckets, ruleBuckets);
  return {
    value,
    reason: modern
      ? `buckets ${value}: this kernel (${input.kernel.release}) defaults to 1 bucket per entry since 5.15; every entry is hashed twice (original and reply), so at a full 1:1 table chains average 2. A bucket costs 8 B and an entry ~${input.entryBytes} B, so 1:1 adds only ${((8 / input.entryBytes) * 100).toFixed(1)}% memory. The playbook's max/4 was the pre-5.15 default ratio and would mean chains of 8.`
      : `buckets ${value}: max / 4, the default ratio of kernels before 5.15 (this one is ${input.kernel.release})`,
  };
}

/** The sysctl writes in the order they are applied: buckets first when growing, so chains stay short. */
function settingChanges(input: MitigationInput, targetMax: number, targetBuckets: number): SettingChange[] {
  const bucketChange =
    targetBuckets !== input.buckets ? { key: BUCKETS_KEY, from: input.buckets, to: targetBuckets } : null;
  const maxChange = targetMax !== input.max ? { key: MAX_KEY, from: input.max, to: targetMax } : null;
  const growing = targetBuckets > input.buckets;
  return (growing ? [bucketChange, maxChange] : [maxChange, bucketChange]).filter(
    (change): change is SettingChange => change !== null,
  );
}

/** Values the kernel takes but that would hurt: a table too big for RAM, too small for now, a shrunk hash. */
function guardRefusal(
  input: MitigationInput,
  targetMax: number,
  targetBuckets: number,
  memory: MitigationPlan['memory'],
): string | null {
  if (memory.atMaxBytes > memory.budgetBytes)
    return `a full table at max ${targetMax} would use ${formatMiB(memory.atMaxBytes)}, above the memory budget ${formatMiB(memory.budgetBytes)} (${((memory.budgetBytes / input.memTotalBytes) * 100).toFixed(0)}% of RAM): find what fills the table (ctdoctor analyze), or raise --memory-budget`;
  if (targetMax < input.count)
    return `max ${targetMax} is below the ${input.count} entries in the table now: every new flow would be dropped`;
  if (targetBuckets < input.buckets)
    return `buckets ${targetBuckets} would shrink the hash from ${input.buckets}: chains get longer and the resize rehashes every entry with bottom halves off; use --force if you are sure`;
  return null;
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}
