import { CtdoctorError } from '../errors.js';
import { parseTimeoutSpec } from '../plan/timeoutSpec.js';
import { knownTimeout } from './labTimeouts.js';
import { bucketsRefusal, maxEntriesRefusal } from '../plan/settingBounds.js';
import { type LabHelper, helpersForWorkload, parseHelper } from './labHelpers.js';
import type { GeneratorSpec } from './labScenarios.js';

/** NOTRACK in the lab namespace's raw table: the port's flows never enter the table. */
export interface LabNotrack {
  port: number;
  protocol: 'tcp' | 'udp';
}

/** One row of `lab --compare`: the settings the workload runs under. */
export interface LabTuning {
  /** As written: `max=4000,tcp_timeout_time_wait=10`; `as is` for the host's settings. */
  label: string;
  /** Global: nf_conntrack_max for the run, restored after it. */
  max?: number;
  /** Global: the hash size, written once the table is at steady state (the resize stall is measured). */
  buckets?: number;
  /** The lab namespace's own timeouts, by short name (tcp_timeout_time_wait). */
  timeouts: Record<string, number>;
  notrack: LabNotrack[];
  /** Helpers the lab namespace assigns to ports' new flows (none: the kernel's default since 6.0). */
  helpers: LabHelper[];
}

export const AS_IS_LABEL = 'as is';
/** How --compare names the baseline beside other tunings: nothing changed. */
export const AS_IS_SPELLING = 'as-is';

/** A tuning that changes nothing but what `label` says (plan --verify's max is set by the caller). */
export function bareTuning(label: string): LabTuning {
  return { label, timeouts: {}, notrack: [], helpers: [] };
}

/**
 * `max=4000,buckets=8192,tcp_timeout_time_wait=10,notrack=8080/tcp,helper=ftp:8080/tcp` → a
 * tuning; `helpers=on` puts a helper on every service port of `workload`.
 */
export function parseTuning(text: string, workload: readonly GeneratorSpec[]): LabTuning {
  if (text.trim() === AS_IS_SPELLING) return bareTuning(AS_IS_LABEL);
  const tuning = bareTuning(text.trim());
  for (const part of text.split(',').map((item) => item.trim())) {
    const [key = '', value = ''] = part.split('=');
    if (key === 'max') tuning.max = wholeSetting(value, maxEntriesRefusal, text);
    else if (key === 'buckets') tuning.buckets = wholeSetting(value, bucketsRefusal, text);
    else if (key === 'notrack') tuning.notrack.push(parseNotrack(value, text));
    else if (key === 'helper') tuning.helpers.push(parseHelper(value, text));
    else if (key === 'helpers') tuning.helpers.push(...workloadHelpers(value, workload, text));
    else if (key.includes('timeout')) {
      const spec = knownTimeout(parseTimeoutSpec(part, '--compare'));
      tuning.timeouts[spec.name] = spec.seconds;
    } else
      throw new CtdoctorError(
        'usage',
        `--compare ${text}: "${part}" is not max=N, buckets=N, a timeout (tcp_timeout_time_wait=10), notrack=PORT/tcp|udp, helper=NAME:PORT/tcp|udp, helpers=on|off, or ${AS_IS_SPELLING} alone`,
      );
  }
  return tuning;
}

function wholeSetting(value: string, refusal: (value: number) => string | null, text: string): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  const why = refusal(number);
  if (why) throw new CtdoctorError('usage', `--compare ${text}: ${why}`);
  return number;
}

function parseNotrack(value: string, text: string): LabNotrack {
  const match = /^(\d+)\/(tcp|udp)$/.exec(value);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535)
    throw new CtdoctorError(
      'usage',
      `--compare ${text}: notrack takes PORT/tcp or PORT/udp (e.g. notrack=8080/tcp)`,
    );
  return { port, protocol: match[2] as 'tcp' | 'udp' };
}

/** `helpers=off` names the default (no helper) so a comparison table reads both ways. */
function workloadHelpers(value: string, workload: readonly GeneratorSpec[], text: string): LabHelper[] {
  if (value === 'off') return [];
  if (value !== 'on')
    throw new CtdoctorError(
      'usage',
      `--compare ${text}: helpers takes on or off (or helper=NAME:PORT/tcp|udp)`,
    );
  const helpers = helpersForWorkload(workload);
  if (helpers.length === 0)
    throw new CtdoctorError(
      'usage',
      `--compare ${text}: the workload sends to no service port (a scan or flood only): name one with helper=NAME:PORT/tcp|udp`,
    );
  return helpers;
}

/** The --compare rows, or the host's settings as they are when none is given. */
export function tuningsOf(texts: readonly string[], workload: readonly GeneratorSpec[]): LabTuning[] {
  if (texts.length === 0) return [bareTuning(AS_IS_LABEL)];
  const labels = new Set<string>();
  return texts.map((text) => {
    const tuning = parseTuning(text, workload);
    if (labels.has(tuning.label))
      throw new CtdoctorError('usage', `--compare ${tuning.label} is given twice: give each tuning once`);
    labels.add(tuning.label);
    return tuning;
  });
}

/** Whether running `tuning` changes a machine-wide setting (what needs the lock and, maybe, --yes). */
export function changesGlobals(tuning: LabTuning): boolean {
  return tuning.max !== undefined || tuning.buckets !== undefined;
}
