import { CtdoctorError } from '../errors.js';
import type { ClassLoad } from '../plan/steadyStateEntries.js';
import type { FlowClassName } from '../plan/flowClasses.js';
import {
  type GeneratorKind,
  type GeneratorSpec,
  MAX_POOL_CONNECTIONS,
  withSourceRanges,
} from './labScenarios.js';

/**
 * The most new flows per second `plan --verify` asks of the lab's generators in all: past it one
 * process per generator falls behind on a small machine (bench/labGenerator.ts). Little's law is
 * linear in the rate, so a load scaled down to it checks the same model.
 */
export const VERIFY_MAX_RATE = 2000;

const GENERATOR_OF: Readonly<Partial<Record<FlowClassName, GeneratorKind>>> = {
  'tcp-short': 'short-flows',
  'udp-query': 'udp-dns',
  'tcp-unanswered': 'syn-scan',
  'tcp-long': 'long-pool',
};

export interface VerifyWorkload {
  /** The load as the lab runs it: every rate × `scale`; tcp-long as a pool held for the run. */
  load: ClassLoad[];
  generators: GeneratorSpec[];
  scale: number;
}

/**
 * The plan's load as lab generators: tcp-short → short-flows, udp-query → udp-dns, tcp-unanswered →
 * syn-scan, each at its rate (scaled to VERIFY_MAX_RATE in all); tcp-long → a long pool of the
 * connections the plan predicts (rate × held), open for the whole run. The pool goes back into the
 * model as connections that outlive the established timeout (held exactly that long, so entries =
 * rate × timeout = the pool's size). Classes the lab cannot make are refused, naming them.
 */
export function verifyWorkload(
  load: readonly ClassLoad[],
  /** The plan's entries of tcp-long: the pool's size. */
  poolEntries: number,
  establishedTimeoutSeconds: number,
): VerifyWorkload {
  const unsupported = load.filter((item) => !GENERATOR_OF[item.name] && item.ratePerSecond > 0);
  if (unsupported.length > 0)
    throw new CtdoctorError(
      'usage',
      `--verify cannot generate ${unsupported.map((item) => item.name).join(', ')} yet (it makes tcp-short, tcp-long, tcp-unanswered and udp-query): drop those classes to verify the rest`,
    );
  const flows = load.filter((item) => item.name !== 'tcp-long');
  const total = flows.reduce((sum, item) => sum + item.ratePerSecond, 0);
  const scale = total > VERIFY_MAX_RATE ? VERIFY_MAX_RATE / total : 1;
  const scaled: ClassLoad[] = [];
  const generators: GeneratorSpec[] = [];
  for (const item of load) {
    if (item.ratePerSecond <= 0) continue;
    if (item.name === 'tcp-long') {
      const connections = Math.min(MAX_POOL_CONNECTIONS, Math.max(1, Math.round(poolEntries * scale)));
      scaled.push({
        ...item,
        ratePerSecond: connections / establishedTimeoutSeconds,
        lifeSeconds: establishedTimeoutSeconds,
      });
      generators.push({ kind: 'long-pool', ratePerSecond: 0, connections, sourceOffset: 0 });
      continue;
    }
    // The lab's flows are instant: a stated life is waited out by no generator.
    scaled.push({ ...item, ratePerSecond: item.ratePerSecond * scale, lifeSeconds: 0 });
    generators.push({
      kind: GENERATOR_OF[item.name]!,
      ratePerSecond: item.ratePerSecond * scale,
      connections: 0,
      sourceOffset: 0,
    });
  }
  return {
    load: scaled,
    generators: withSourceRanges(generators),
    scale,
  };
}
