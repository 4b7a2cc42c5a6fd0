import type { LossWindow } from '../core/lossWindow.js';
import { type SampleOptions, readConntrackSample } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many packets were lost (drop, early_drop, insert_failed) over the next `seconds`. */
export async function measureLoss(
  files: NetnsFiles,
  options: SampleOptions,
  seconds: number,
): Promise<LossWindow> {
  const before = await readConntrackSample(files, options);
  await sleep(seconds * 1000);
  const after = await readConntrackSample(files, options);
  const delta = (name: string) =>
    Math.max(0, (after.stats?.totals[name] ?? 0) - (before.stats?.totals[name] ?? 0));
  return {
    seconds: (after.takenAtMs - before.takenAtMs) / 1000,
    deltas: { drop: delta('drop'), early_drop: delta('early_drop'), insert_failed: delta('insert_failed') },
    count: after.count,
    max: after.max,
  };
}

export function lossTotal(window: LossWindow): number {
  return window.deltas.drop + window.deltas.early_drop + window.deltas.insert_failed;
}
