import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { CtdoctorError } from '../core/errors.js';
import type { StatsSourceChoice } from '../host/conntrackSample.js';
import { type HostFacts, readHostFacts } from '../host/hostFacts.js';
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
  return command
    .option(
      '--netns <name|pid|path>',
      'network namespace to inspect: an "ip netns" name, a process id or a file',
    )
    .addOption(
      new Option('--source <source>', 'where counters come from')
        .choices(['auto', 'procfs', 'netlink'])
        .default('auto'),
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

/** A --proc-root/--sys-root that is not a directory would read as "nf_conntrack is not loaded". */
async function checkRootDir(option: string, dir: string): Promise<void> {
  const found = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR')
      throw new CtdoctorError('usage', `${option} ${dir} does not exist`);
    if (error.code === 'EACCES' || error.code === 'EPERM')
      throw new CtdoctorError('permission', `${option} ${dir}: permission denied (run as root)`);
    throw new CtdoctorError('kernel', `${option} ${dir}: ${error.message}`);
  });
  if (!found.isDirectory()) throw new CtdoctorError('usage', `${option} ${dir} is not a directory`);
}

/**
 * The roots as given, made absolute (so /proc/ is the live /proc and messages show the real path),
 * each checked to be a directory. The default /sys is optional (its files are extra facts), so
 * only a --sys-root the operator named is required to exist.
 */
async function openRoots(options: Pick<CommonOptions, 'procRoot' | 'sysRoot'>): Promise<HostRoots> {
  const roots: HostRoots = { procRoot: resolve(options.procRoot), sysRoot: resolve(options.sysRoot) };
  await checkRootDir('--proc-root', roots.procRoot);
  if (roots.sysRoot !== DEFAULT_ROOTS.sysRoot) await checkRootDir('--sys-root', roots.sysRoot);
  return roots;
}

export async function openContext(options: CommonOptions): Promise<CommandContext> {
  const roots = await openRoots(options);
  const live = isLiveProc(roots);
  if (!live && options.source === 'netlink') {
    throw new CtdoctorError(
      'usage',
      `--source netlink asks the running kernel, not the tree in --proc-root ${roots.procRoot}: use --source procfs or auto`,
    );
  }
  const target = await resolveNetns(options.netns, roots);
  const [facts] = await Promise.all([readHostFacts(roots)]);
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

/**
 * A count written to the kernel (`--max`, `--buckets`): a whole number that `refusal` accepts
 * (src/core/plan/settingBounds.ts), refused at parse time so no plan is made with it.
 */
export function parseKernelCount(flag: string, refusal: (value: number) => string | null) {
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
