import type { HostFacts } from '../core/hostFacts.js';
import { type StatusReport, type StatusThresholds, evaluateStatus, statusFactsOf } from '../core/status.js';
import type { SampleOptions } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { required } from './collector.js';
import { conntrackSample } from './conntrackSample.js';
import { sampleTwice } from './twoSamples.js';

export interface StatusProbeOptions extends SampleOptions {
  intervalSeconds: number;
  thresholds: StatusThresholds;
}

/** Two samples `intervalSeconds` apart, evaluated into a status report (rates need two points). */
export async function probeStatus(
  files: NetnsFiles,
  facts: HostFacts,
  options: StatusProbeOptions,
): Promise<StatusReport> {
  const { before, after } = await sampleTwice(
    async () => required(await conntrackSample(files, options)),
    options.intervalSeconds,
  );
  return evaluateStatus(before, after, statusFactsOf(facts, files.target), options.thresholds);
}
