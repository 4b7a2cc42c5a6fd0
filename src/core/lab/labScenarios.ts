import { CtdoctorError } from '../errors.js';

/**
 * The workloads `ctdoctor lab` runs, each a generator inside the lab's namespace. `mixed` is the
 * playbook's hard case: many short connections beside a pool of long ones that must survive.
 */
export const LAB_SCENARIO_NAMES = [
  'short-flows',
  'long-pool',
  'udp-dns',
  'udp-flood',
  'syn-scan',
  'mixed',
  'nat-service',
] as const;
export type LabScenarioName = (typeof LAB_SCENARIO_NAMES)[number];

/** What one generator process does (mixed is two of them). */
export type GeneratorKind = Exclude<LabScenarioName, 'mixed'>;

export interface GeneratorSpec {
  kind: GeneratorKind;
  /** New flows per second asked for (long-pool: 0, its connections open over the run). */
  ratePerSecond: number;
  /** long-pool: connections held to the end. */
  connections: number;
  /** The first loopback index (loopbackAddress) of this generator's sources: each has its own range. */
  sourceOffset: number;
}

/** What a scenario does, for --help and the report. */
export const LAB_SCENARIO_MEANING: Readonly<Record<LabScenarioName, string>> = {
  'short-flows': 'short TCP connections, client closes first: one TIME_WAIT entry each',
  'long-pool':
    'a pool of long-lived TCP connections opened over the run, each pinged every second; they must survive',
  'udp-dns': 'DNS-like UDP: one query and its answer per new socket',
  'udp-flood': 'UDP from 256 sources to addresses that never answer: UNREPLIED entries',
  'syn-scan': 'SYNs from one source to ports nobody answers: SYN_SENT entries',
  mixed: 'short-flows plus a protected long-pool',
  'nat-service': 'UDP to a service address DNATed to two backends; one dies half-way',
};

const DEFAULT_RATE: Readonly<Record<GeneratorKind, number>> = {
  'short-flows': 500,
  'long-pool': 0,
  'udp-dns': 300,
  'udp-flood': 1000,
  'syn-scan': 500,
  'nat-service': 200,
};
const DEFAULT_POOL_CONNECTIONS = 50;
/** Far beyond what one generator process reaches on loopback (see bench/labGenerator.ts). */
export const MAX_LAB_RATE = 50_000;
/** File descriptors and ports stay well inside a process's default limits. */
export const MAX_POOL_CONNECTIONS = 5_000;
/** Source addresses per generator: spreads ephemeral ports so none is reused within a lab timeout. */
export const SOURCES_PER_GENERATOR = 256;
/** loopbackAddress indexes per generator: ranges never overlap. */
const SOURCE_RANGE = 10_000;

/** Gives each generator of a run its own range of source addresses, in order. */
export function withSourceRanges(specs: readonly GeneratorSpec[]): GeneratorSpec[] {
  return specs.map((spec, index) => ({ ...spec, sourceOffset: index * SOURCE_RANGE }));
}

/** `mixed:rate=800/s,connections=100` → the generators it runs. */
export function parseScenario(text: string): GeneratorSpec[] {
  const [name = '', options = ''] = text.trim().split(/:(.*)/s);
  if (!(LAB_SCENARIO_NAMES as readonly string[]).includes(name))
    throw new CtdoctorError(
      'usage',
      `--scenario "${name}" is not a lab scenario: use one of ${LAB_SCENARIO_NAMES.join(', ')}`,
    );
  let rate: number | undefined;
  let connections = DEFAULT_POOL_CONNECTIONS;
  for (const part of options.split(',').filter(Boolean)) {
    const [key, value = ''] = part.split('=');
    if (key === 'rate') rate = parseLabRate(value, text);
    else if (key === 'connections') {
      connections = Number(value);
      if (!Number.isInteger(connections) || connections < 1 || connections > MAX_POOL_CONNECTIONS)
        throw new CtdoctorError(
          'usage',
          `--scenario ${text}: connections must be a whole number from 1 to ${MAX_POOL_CONNECTIONS}`,
        );
    } else
      throw new CtdoctorError(
        'usage',
        `--scenario ${text}: "${part}" is not rate=N/s or connections=N (e.g. --scenario mixed:rate=800/s,connections=100)`,
      );
  }
  const kinds: GeneratorKind[] = name === 'mixed' ? ['short-flows', 'long-pool'] : [name as GeneratorKind];
  return kinds.map((kind) => ({
    kind,
    ratePerSecond: kind === 'long-pool' ? 0 : (rate ?? DEFAULT_RATE[kind]),
    connections: kind === 'long-pool' ? connections : 0,
    sourceOffset: 0,
  }));
}

function parseLabRate(value: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(k)?(?:\/s)?$/i.exec(value);
  const rate = match ? Number(match[1]) * (match[2] ? 1000 : 1) : Number.NaN;
  if (!(rate > 0 && rate <= MAX_LAB_RATE))
    throw new CtdoctorError(
      'usage',
      `--scenario ${text}: rate must be new flows per second from 1 to ${MAX_LAB_RATE} (e.g. rate=800/s)`,
    );
  return rate;
}

/**
 * Every --scenario of a run, combined: one generator per kind (a kind given twice is refused, it
 * would listen on the same port twice), each with its own range of source addresses.
 */
export function combineScenarios(texts: readonly string[]): GeneratorSpec[] {
  const specs = (texts.length > 0 ? texts : ['mixed']).flatMap(parseScenario);
  const seen = new Set<GeneratorKind>();
  for (const spec of specs) {
    if (seen.has(spec.kind))
      throw new CtdoctorError(
        'usage',
        `--scenario: ${spec.kind} is in the run twice (mixed includes short-flows and long-pool): give it once`,
      );
    seen.add(spec.kind);
  }
  return withSourceRanges(specs);
}
