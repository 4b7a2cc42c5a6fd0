import { invalidLoggingOf } from '../core/conntrackSettings.js';
import { heavyInvalidRate } from '../core/findings/doctor/invalidHeavy.js';
import type { HostFacts } from '../core/hostFacts.js';
import { type StatusReport, type StatusThresholds, evaluateStatus, statusFactsOf } from '../core/status.js';
import type { SampleOptions } from '../host/conntrackSample.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { dataOr, required } from './collector.js';
import { conntrackSample } from './conntrackSample.js';
import { conntrackSettings } from './conntrackSettings.js';
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
  const report = evaluateStatus(before, after, statusFactsOf(facts, files.target), options.thresholds);
  if (heavyInvalidRate(report.rates) === null) return report;
  // invalid-heavy's restore commands print the namespace's settings, so they are read only then;
  // unreadable ones make the commands fall back to the kernel's defaults.
  const logging = invalidLoggingOf(dataOr(await conntrackSettings(files), null));
  return evaluateStatus(before, after, statusFactsOf(facts, files.target, logging), options.thresholds);
}
