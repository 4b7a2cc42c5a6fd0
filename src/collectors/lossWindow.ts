import { type LossWindow, lossBetween } from '../core/lossWindow.js';
import type { SampleOptions } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { required } from './collector.js';
import { conntrackSample } from './conntrackSample.js';
import { sampleTwice } from './twoSamples.js';

/** How many packets were lost (drop, early_drop, insert_failed) over the next `seconds`. */
export async function measureLoss(
  files: NetnsFiles,
  options: SampleOptions,
  seconds: number,
): Promise<LossWindow> {
  const { before, after } = await sampleTwice(
    async () => required(await conntrackSample(files, options)),
    seconds,
  );
  return lossBetween(before, after);
}
