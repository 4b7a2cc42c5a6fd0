import { CtdoctorError } from '../errors.js';
import {
  type ClassLoad,
  classRows,
  recommendedMax,
  timeoutLookup,
  totalEntries,
  totalRate,
} from './steadyStateEntries.js';
import { FLOW_CLASSES, type FlowProtocol } from './flowClasses.js';
import { parseTimeoutSpec } from './timeoutSpec.js';

/** A change `plan --try` evaluates on the model, never on the kernel. */
export type CandidateChange =
  | { kind: 'timeout'; name: string; seconds: number }
  /** NOTRACK for a port: `share` of that protocol's new flows go to it and would leave the table. */
  | { kind: 'notrack'; port: number; protocol: Extract<FlowProtocol, 'tcp' | 'udp'>; share: number };

export interface CandidateEffect {
  /** As written on the command line: `tcp_timeout_time_wait=30`, `notrack=53/udp:40%`. */
  change: string;
  entries: number;
  /** entries − the plan's predicted entries (negative: fewer). */
  deltaEntries: number;
  recommendedMax: number;
  /** The command that makes the change (after checking it with its own plan). */
  command: string;
}

/**
 * `tcp_timeout_time_wait=30` (any timeout, with or without `net.netfilter.nf_conntrack_`) or
 * `notrack=PORT/PROTO:SHARE` (e.g. `notrack=53/udp:100%`: all UDP flows go to port 53).
 */
export function parseCandidateChange(text: string): CandidateChange {
  const notrack = /^notrack=(\d+)\/(tcp|udp):(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (notrack) {
    const port = Number(notrack[1]);
    const share = Number(notrack[3]) / 100;
    if (port < 1 || port > 65535 || share <= 0 || share > 1)
      throw new CtdoctorError(
        'usage',
        `--try ${text}: the port must be 1-65535 and the share more than 0% and at most 100%`,
      );
    return { kind: 'notrack', port, protocol: notrack[2] as 'tcp' | 'udp', share };
  }
  if (text.trim().startsWith('notrack'))
    throw new CtdoctorError(
      'usage',
      `--try "${text}" is not notrack=PORT/PROTO:SHARE (e.g. notrack=53/udp:100%: the share of that protocol's new flows going to the port)`,
    );
  const spec = parseTimeoutSpec(text, '--try');
  return { kind: 'timeout', name: spec.name, seconds: spec.seconds };
}

function describe(change: CandidateChange): string {
  return change.kind === 'timeout'
    ? `${change.name}=${change.seconds}`
    : `notrack=${change.port}/${change.protocol}:${Math.round(change.share * 1000) / 10}%`;
}

function commandFor(change: CandidateChange): string {
  return change.kind === 'timeout'
    ? `ctdoctor timeouts --set ${change.name}=${change.seconds}`
    : `ctdoctor notrack --port ${change.port} --proto ${change.protocol}`;
}

/** The load and timeouts the change leaves, recomputed by the same model as the plan. */
export function effectOf(
  change: CandidateChange,
  load: ClassLoad[],
  timeouts: Readonly<Record<string, number>>,
  predictedEntries: number,
  headroom: number,
): CandidateEffect {
  const lookup = timeoutLookup(timeouts);
  const changedTimeouts =
    change.kind === 'timeout'
      ? (name: string) => (name === change.name ? change.seconds : lookup(name))
      : lookup;
  const changedLoad =
    change.kind === 'notrack'
      ? load.map((item) =>
          FLOW_CLASSES[item.name].protocol === change.protocol
            ? { ...item, ratePerSecond: item.ratePerSecond * (1 - change.share) }
            : item,
        )
      : load;
  const entries = totalEntries(classRows(changedLoad, changedTimeouts));
  return {
    change: describe(change),
    entries,
    deltaEntries: entries - predictedEntries,
    recommendedMax: recommendedMax(entries, totalRate(changedLoad), headroom),
    command: commandFor(change),
  };
}
