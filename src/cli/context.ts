import { Option } from 'commander';
import type { Command } from 'commander';
import { CtdoctorError } from '../core/errors.js';
import type { StatsSourceChoice } from '../host/conntrackSample.js';
import { type HostFacts, readHostFacts } from '../host/hostFacts.js';
import { resolveNetns } from '../host/netns.js';
import { type NetnsFiles, netnsFiles } from '../host/netnsFiles.js';
import { type HostRoots, isLiveProc } from '../host/roots.js';

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

export async function openContext(options: CommonOptions): Promise<CommandContext> {
  const roots: HostRoots = { procRoot: options.procRoot, sysRoot: options.sysRoot };
  const live = isLiveProc(roots);
  if (!live && options.netns) {
    throw new CtdoctorError(
      'usage',
      '--netns needs the live /proc; with --proc-root use <root>/<pid> files instead',
    );
  }
  const target = await resolveNetns(options.netns, roots);
  const [facts] = await Promise.all([readHostFacts(roots)]);
  return {
    roots,
    files: netnsFiles(target, roots),
    facts,
    netlinkAllowed: live || options.source === 'netlink',
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

export function parsePercent(name: string) {
  return (value: string): number => {
    const parsed = Number(value.replace(/%$/, ''));
    if (!Number.isFinite(parsed) || parsed <= 0 || parsed > 100) {
      throw new CtdoctorError('usage', `${name} must be a percentage between 0 and 100, got "${value}"`);
    }
    return parsed / 100;
  };
}
