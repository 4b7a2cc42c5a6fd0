import { CtdoctorError } from '../core/errors.js';
import {
  FLOW_CLASSES,
  FLOW_CLASS_NAMES,
  type FlowClassName,
  isFlowClassName,
} from '../core/plan/flowClasses.js';
import type { ClassLoad } from '../core/plan/steadyStateEntries.js';
import { type DurationBounds, parseDuration } from './context.js';

/**
 * The load `plan` is told, as an SRE types it:
 *   --rate 2000/s --mix tcp-short=80%,udp-query=20%      shares of one total rate
 *   --class tcp-short:1500/s:life=0.2s --class udp-query:500/s   a rate (and life) per class
 *   --rate 2000/s --class udp-query                       the whole rate to one class
 *   --lifetime tcp=120s,udp=30s                           life per protocol or class
 */
export interface LoadOptions {
  rate?: string;
  mix?: string;
  class: string[];
  lifetime?: string;
}

/** A flow's life: from instant to a month (past that no timeout holds an entry anyway). */
const LIFE_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0, maxSeconds: 30 * 86_400 };
const PER_UNIT_SECONDS = { s: 1, min: 60, h: 3600 } as const;
const CLASS_LIST = FLOW_CLASS_NAMES.join(', ');

/** `2000/s`, `2000`, `1.5k/s`, `90000/min`, `3600/h` → new flows per second. */
export function parseRatePerSecond(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(k)?(?:\/(s|min|h))?$/i.exec(text.trim());
  const rate = match
    ? (Number(match[1]) * (match[2] ? 1000 : 1)) /
      PER_UNIT_SECONDS[(match[3]?.toLowerCase() ?? 's') as keyof typeof PER_UNIT_SECONDS]
    : Number.NaN;
  if (!(rate >= 0) || !Number.isFinite(rate))
    throw new CtdoctorError(
      'usage',
      `${flag} "${text}" is not a rate of new flows: write e.g. 2000/s, 1.5k/s or 90000/min`,
    );
  return rate;
}

function className(text: string, flag: string): FlowClassName {
  if (!isFlowClassName(text))
    throw new CtdoctorError('usage', `${flag}: "${text}" is not a flow class: use one of ${CLASS_LIST}`);
  return text;
}

/** `tcp-short=80%,udp-query=20%` → shares that must add up to 100 %. */
export function parseMix(text: string): Map<FlowClassName, number> {
  const shares = new Map<FlowClassName, number>();
  for (const part of text.split(',')) {
    const match = /^([a-z-]+)=(\d+(?:\.\d+)?)%$/.exec(part.trim());
    if (!match)
      throw new CtdoctorError(
        'usage',
        `--mix "${part}" is not CLASS=PERCENT% (e.g. --mix tcp-short=80%,udp-query=20%)`,
      );
    shares.set(className(match[1]!, '--mix'), Number(match[2]) / 100);
  }
  const sum = [...shares.values()].reduce((total, share) => total + share, 0);
  if (Math.abs(sum - 1) > 0.005)
    throw new CtdoctorError(
      'usage',
      `--mix adds up to ${Math.round(sum * 1000) / 10}%: the shares must add up to 100%`,
    );
  return shares;
}

interface ClassSpec {
  name: FlowClassName;
  ratePerSecond?: number;
  lifeSeconds?: number;
}

/** `tcp-short`, `tcp-short:1500/s`, `tcp-short:1500/s:life=0.2s`, `tcp-long:life=1h`. */
export function parseClassSpec(text: string): ClassSpec {
  const [name = '', ...rest] = text.trim().split(':');
  const spec: ClassSpec = { name: className(name, '--class') };
  for (const part of rest) {
    if (part.startsWith('life='))
      spec.lifeSeconds = parseDuration('--class life', LIFE_BOUNDS)(part.slice(5));
    else spec.ratePerSecond = parseRatePerSecond(part, `--class ${name}`);
  }
  return spec;
}

/** `tcp=120s,udp=30s,tcp-long=1h`: a life per protocol (every class of it) or per class. */
export function parseLifetimes(text: string): Map<string, number> {
  const lives = new Map<string, number>();
  for (const part of text.split(',')) {
    const [key = '', value] = part.trim().split('=');
    const known = ['tcp', 'udp', 'icmp'].includes(key) || isFlowClassName(key);
    if (!known || value === undefined)
      throw new CtdoctorError(
        'usage',
        `--lifetime "${part}" is not KEY=DURATION with KEY tcp, udp, icmp or a class (e.g. --lifetime tcp=120s,udp=30s)`,
      );
    lives.set(key, parseDuration(`--lifetime ${key}`, LIFE_BOUNDS)(value));
  }
  return lives;
}

/** The per-class load the options state; throws a one-line usage error naming what to add. */
export function statedLoad(options: LoadOptions): ClassLoad[] {
  const total = options.rate === undefined ? undefined : parseRatePerSecond(options.rate, '--rate');
  const specs = new Map<FlowClassName, ClassSpec>();
  for (const text of options.class) {
    const spec = parseClassSpec(text);
    if (specs.has(spec.name))
      throw new CtdoctorError('usage', `--class ${spec.name} is given twice: give each class once`);
    specs.set(spec.name, spec);
  }
  if (options.mix !== undefined) {
    if (total === undefined)
      throw new CtdoctorError('usage', '--mix gives shares of --rate: add --rate (e.g. --rate 2000/s)');
    for (const [name, share] of parseMix(options.mix)) {
      const spec = specs.get(name);
      if (spec?.ratePerSecond !== undefined)
        throw new CtdoctorError(
          'usage',
          `${name} has a rate in --class and a share in --mix: give it one of them`,
        );
      specs.set(name, { ...spec, name, ratePerSecond: share * total });
    }
  }
  fillMissingRate(specs, total);
  const lives = options.lifetime ? parseLifetimes(options.lifetime) : new Map<string, number>();
  return [...specs.values()].map((spec) => {
    const flowClass = FLOW_CLASSES[spec.name];
    const stated = spec.lifeSeconds ?? lives.get(spec.name) ?? lives.get(flowClass.protocol);
    return {
      name: spec.name,
      ratePerSecond: spec.ratePerSecond ?? 0,
      lifeSeconds: stated ?? flowClass.defaultLifeSeconds,
      lifeSource: stated === undefined ? 'default' : 'given',
    };
  });
}

/** One class without a rate takes what --rate leaves; the rates must add up to --rate. */
function fillMissingRate(specs: Map<FlowClassName, ClassSpec>, total: number | undefined): void {
  if (specs.size === 0)
    throw new CtdoctorError(
      'usage',
      `say what the flows are: --rate 2000/s --mix tcp-short=80%,udp-query=20%, or --class tcp-short:1500/s (classes: ${CLASS_LIST}), or --from-live`,
    );
  const missing = [...specs.values()].filter((spec) => spec.ratePerSecond === undefined);
  const given = [...specs.values()].reduce((sum, spec) => sum + (spec.ratePerSecond ?? 0), 0);
  if (missing.length === 0) {
    if (total !== undefined && Math.abs(given - total) > total * 0.005)
      throw new CtdoctorError(
        'usage',
        `the class rates add up to ${given}/s, not --rate ${total}/s: drop --rate or make them agree`,
      );
    return;
  }
  if (total === undefined || missing.length > 1)
    throw new CtdoctorError(
      'usage',
      `no rate for ${missing.map((spec) => spec.name).join(', ')}: give each class a rate (--class ${missing[0]!.name}:500/s) or one class and --rate for the total`,
    );
  if (given > total)
    throw new CtdoctorError(
      'usage',
      `the class rates add up to ${given}/s, more than --rate ${total}/s: raise --rate or lower them`,
    );
  missing[0]!.ratePerSecond = total - given;
}
