import { requireDirectory } from '../host/fileFailures.js';
import { resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { CtdoctorError } from '../core/errors.js';
import type { StatsSourceChoice } from '../host/conntrackSample.js';
import { required } from '../collectors/collector.js';
import { hostFacts } from '../collectors/hostFacts.js';
import type { HostFacts } from '../core/hostFacts.js';
import { resolveNetns } from '../host/netns.js';
import { type NetnsFiles, netnsFiles } from '../host/netnsFiles.js';
import { DEFAULT_ROOTS, type HostRoots, isLiveProc } from '../host/roots.js';

export interface CommonOptions {
  procRoot: string;
  sysRoot: string;
  netns?: string;
  source: StatsSourceChoice;
  json?: boolean;
  debug?: boolean;
}

/** Options every reading command accepts, spelled as conntrack-tools and node_exporter spell them. */
export function addCommonOptions(command: Command): Command {
  return addNamespaceOptions(
    command.addOption(
      new Option('--source <source>', 'where counters come from')
        .choices(['auto', 'procfs', 'netlink'])
        .default('auto'),
    ),
  );
}

/**
 * The common options but --source, for a command with only one source: `top` reads events from
 * netlink (conntrack -E) and the table size from nf_conntrack_count, whatever --source would say.
 */
export function addNamespaceOptions(command: Command): Command {
  return command
    .option(
      '--netns <name|pid|path>',
      'network namespace to inspect: an "ip netns" name, a process id or a file',
    )
    .option('--proc-root <dir>', 'procfs mount to read (e.g. /host/proc in a container)', '/proc')
    .option('--sys-root <dir>', 'sysfs mount to read', '/sys')
    .option('--json', 'print a stable JSON object instead of text')
    .option('--debug', 'show stack traces for unexpected errors');
}

export interface CommandContext {
  roots: HostRoots;
  files: NetnsFiles;
  facts: HostFacts;
  netlinkAllowed: boolean;
}

/**
 * The roots as given, made absolute (so /proc/ is the live /proc and messages show the real path),
 * each checked to be a directory. The default /sys is optional (its files are extra facts), so
 * only a --sys-root the operator named is required to exist.
 */
export async function openRoots(options: Pick<CommonOptions, 'procRoot' | 'sysRoot'>): Promise<HostRoots> {
  const roots: HostRoots = { procRoot: resolve(options.procRoot), sysRoot: resolve(options.sysRoot) };
  await requireDirectory('--proc-root', roots.procRoot);
  if (roots.sysRoot !== DEFAULT_ROOTS.sysRoot) await requireDirectory('--sys-root', roots.sysRoot);
  return roots;
}

export async function openContext(
  options: Omit<CommonOptions, 'source'> & Partial<Pick<CommonOptions, 'source'>>,
): Promise<CommandContext> {
  const roots = await openRoots(options);
  const live = isLiveProc(roots);
  if (!live && options.source === 'netlink') {
    throw new CtdoctorError(
      'usage',
      `--source netlink asks the running kernel, not the tree in --proc-root ${roots.procRoot}: use --source procfs or auto`,
    );
  }
  const target = await resolveNetns(options.netns, roots);
  const facts = required(await hostFacts(roots));
  return {
    roots,
    files: netnsFiles(target, roots),
    facts,
    // Netlink answers for the kernel ctdoctor runs on, which a --proc-root tree need not be.
    netlinkAllowed: live,
  };
}

export function parsePositiveNumber(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new CtdoctorError('usage', `${name} must be a positive number, got "${value}"`);
    return parsed;
  };
}

/** Any count: `--top 0.5` is no number of rows, so it is refused rather than rounded. */
function wholeNumberFromOne(value: number): string | null {
  return Number.isInteger(value) && value >= 1 ? null : 'must be a whole number from 1';
}

/**
 * A count (`--top`, `--sample`, or `--max`/`--buckets` with the kernel's bounds from
 * src/core/plan/settingBounds.ts): a whole number that `refusal` accepts, refused at parse time so
 * no plan is made with it.
 */
export function parseWholeNumber(
  flag: string,
  refusal: (value: number) => string | null = wholeNumberFromOne,
) {
  return (value: string): number => {
    const parsed = value.trim() === '' ? Number.NaN : Number(value);
    const why = refusal(parsed);
    if (why) throw new CtdoctorError('usage', `${flag} ${value}: ${why}`);
    return parsed;
  };
}

/** A ratio as a percent the way the options are written: 0.8 → 80, 0.29 → 29 (not 28.999999999999996). */
export function percentOfRatio(ratio: number): number {
  return Number((ratio * 100).toFixed(6));
}

/**
 * A percentage written `80` or `80%`, returned as the ratio 0.8. A fraction such as `0.8` is
 * refused, not read as 0.8 %: it is the other common way to write 80 %, and guessing either way
 * silently moves a threshold by a factor of 100.
 */
export function parsePercent(name: string) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
    const percent = match ? Number(match[1]) : Number.NaN;
    if (percent > 0 && percent < 1 && !value.endsWith('%')) {
      const meant = percentOfRatio(percent);
      const example = meant >= 1 ? meant : 80;
      throw new CtdoctorError(
        'usage',
        `${name} takes a percentage, not a fraction: write ${example} for ${example}%, got "${value}"`,
      );
    }
    if (!(percent >= 1 && percent <= 100)) {
      throw new CtdoctorError(
        'usage',
        `${name} must be a percentage from 1 to 100 (e.g. 80 or 80%), got "${value}"`,
      );
    }
    return percent / 100;
  };
}

/** Seconds in each unit a duration may carry; a bare number is in the option's own unit. */
const SECONDS_PER_UNIT = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86_400 } as const;
type DurationUnit = keyof typeof SECONDS_PER_UNIT;
const DURATION = /^(\d*\.?\d+(?:e[+-]?\d+)?)\s*(ms|s|min|m|h|d)?$/i;

export interface DurationBounds {
  /** What a bare number means (`--since 5` is minutes, `--interval 5` seconds). */
  unit: 's' | 'min';
  minSeconds: number;
  maxSeconds: number;
  /** Firewall timeouts are whole seconds. */
  wholeSeconds?: boolean;
}

/** "0.1 s", "10 min", "1 h", "24 d": a bound the way --help and errors show it. */
export function formatBound(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

/** "(0.1 s to 1 h)", for an option's --help line. */
export function durationRange(bounds: DurationBounds): string {
  return `(${formatBound(bounds.minSeconds)} to ${formatBound(bounds.maxSeconds)})`;
}

/**
 * Every duration option's parser: a number in the option's unit or with one of ms, s, m/min, h, d;
 * refused outside the option's bounds (an unbounded one overflowed Node's timers past 2³¹ ms, which
 * fire at once: `--interval 1e9` measured rates over 5 ms). Returns the value in `bounds.unit`.
 */
export function parseDuration(name: string, bounds: DurationBounds) {
  return (value: string): number => {
    const match = DURATION.exec(value.trim());
    if (!match) {
      throw new CtdoctorError(
        'usage',
        `${name} "${value}" is not a duration: give ${bounds.unit === 's' ? 'seconds' : 'minutes'} or a unit (e.g. 500ms, 90s, 30m, 1h, 2d)`,
      );
    }
    const unit = (match[2]?.toLowerCase() ?? bounds.unit) as DurationUnit;
    const seconds = Number(match[1]) * SECONDS_PER_UNIT[unit];
    if (!(seconds >= bounds.minSeconds && seconds <= bounds.maxSeconds)) {
      throw new CtdoctorError(
        'usage',
        `${name} must be from ${formatBound(bounds.minSeconds)} to ${formatBound(bounds.maxSeconds)}, got "${value}"`,
      );
    }
    if (bounds.wholeSeconds && !Number.isInteger(seconds))
      throw new CtdoctorError('usage', `${name} must be whole seconds, got "${value}"`);
    return bounds.unit === 's' ? seconds : seconds / 60;
  };
}

/**
 * The window between the two readings a rate is measured over (status, check, doctor, mitigate),
 * also `status --watch`'s refresh period. Below 0.1 s the two readings' own duration (a stat file
 * with a line per CPU, three sysctls) is a visible share of the window and --watch redraws faster
 * than anyone reads; above 1 h a rate averages away the burst that fills a table, and a check that
 * slow outlives every monitoring system's plugin timeout.
 */
export const INTERVAL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0.1, maxSeconds: 3600 };
