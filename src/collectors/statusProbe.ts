import { type StatusReport, type StatusThresholds, evaluateStatus } from '../core/status.js';
import { type SampleOptions, readConntrackSample } from '../host/conntrackSample.js';
import type { HostFacts } from '../host/hostFacts.js';
import type { NetnsFiles } from '../host/netnsFiles.js';

export interface StatusProbeOptions extends SampleOptions {
  intervalSeconds: number;
  thresholds: StatusThresholds;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two samples `intervalSeconds` apart, evaluated into a status report (rates need two points). */
export async function probeStatus(
  files: NetnsFiles,
  facts: HostFacts,
  options: StatusProbeOptions,
): Promise<StatusReport> {
  const before = await readConntrackSample(files, options);
  await sleep(options.intervalSeconds * 1000);
  const after = await readConntrackSample(files, options);
  const { inode, initial, name } = files.target;
  return evaluateStatus(
    before,
    after,
    {
      kernel: facts.kernel,
      entrySize: facts.entrySize,
      netns: { inode, initial, ...(name ? { name } : {}) },
    },
    options.thresholds,
  );
}
