import type { HostFacts } from '../core/hostFacts.js';
import { type StatusReport, type StatusThresholds, evaluateStatus, statusFactsOf } from '../core/status.js';
import type { SampleOptions } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { dataOr, required } from './collector.js';
import { conntrackSample } from './conntrackSample.js';
import { invalidLogging } from './invalidLogging.js';
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
  // Unreadable settings only make the restore command fall back to the kernel's default.
  const logging = dataOr(await invalidLogging(files), { logInvalid: null, tcpBeLiberal: null });
  return evaluateStatus(before, after, statusFactsOf(facts, files.target, logging), options.thresholds);
}
