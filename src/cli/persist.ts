import { availableParallelism } from 'node:os';
import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { applyPersist, pendingWrites } from '../actions/persist.js';
import { planPersistRequest } from '../actions/persistValues.js';
import { parseTimeoutSpec } from '../core/plan/timeoutSpec.js';
import { BUCKETS_KEY, MAX_KEY } from '../core/plan/mitigationPlan.js';
import { CtdoctorError } from '../core/errors.js';
import { keyOwnerAdvice } from '../core/plan/keyOwnerAdvice.js';
import { auditInSync } from '../core/plan/persistAudit.js';
import type { PersistReport, PersistResult } from '../core/plan/persistResult.js';
import { underRoot } from '../host/confTree.js';
import { detectKeyOwners } from '../host/keyOwners.js';
import { resolveNetns } from '../host/netns.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { auditPersistence } from '../collectors/persistAudit.js';
import { persistCheckJson, persistJson, renderDrift, renderPersist } from '../render/persistText.js';
import {
  type CommandContext,
  type CommonOptions,
  addCommonOptions,
  openContext,
  parseWholeNumber,
} from './context.js';
import { bucketsRefusal, maxEntriesRefusal } from '../core/plan/settingBounds.js';
import { EXIT, type FailureReporting, STANDARD_FAILURES, printJson, reportFailuresAs } from './output.js';
import { type StateOptions, addStateOptions, journalFor, undoCommand } from './stateOptions.js';

interface PersistOptions extends CommonOptions, StateOptions {
  max?: number;
  buckets?: number;
  timeout: string[];
  file?: string;
  fixConflicts?: boolean;
  reload?: boolean;
  check?: boolean;
  apply?: boolean;
}

/** persist --check exit codes: 0 in sync, 1 drift, 3 could not check. */
export const CHECK_EXIT = { inSync: 0, drift: 1, unknown: 3 } as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function persistCommand(): Command {
  const command = new Command('persist').description(
    'make the table size (and timeouts) survive reboots: a sysctl.d drop-in that wins at boot, boot-order fixes, drift check',
  );
  addStateOptions(addCommonOptions(command))
    .option(
      '--max <entries>',
      'nf_conntrack_max to persist (default: the running value)',
      parseWholeNumber('--max', maxEntriesRefusal),
    )
    .option(
      '--buckets <n>',
      'nf_conntrack_buckets to persist (default: the running value)',
      parseWholeNumber('--buckets', bucketsRefusal),
    )
    .option(
      '--timeout <name=seconds>',
      'also persist a timeout, e.g. tcp_timeout_established=86400 (repeatable)',
      collect,
      [],
    )
    .option('--file <path>', 'write into /etc/sysctl.conf instead of a drop-in')
    .option(
      '--fix-conflicts',
      'comment out lines in /etc that would override ctdoctor at boot (backups kept)',
    )
    .option('--reload', 'also apply the persisted values now, as the init system would')
    .option('--check', 'compare runtime, boot and ctdoctor values; exit 0 in sync, 1 drift, 3 unknown')
    .option('--apply', 'write the files (without it, only the plan is printed)');
  actionWithExitCode(command, async (options: PersistOptions) => {
    const context = await openContext(options);
    if (options.check) return checkPersistence(context, options);
    const report = await runPersist(context, options);
    if (options.json) printJson(persistJson(report));
    else process.stdout.write(`${renderPersist(report, undoCommand(options))}\n`);
    return EXIT.ok;
  });
  return reportFailuresAs(command, (options) => (options.check ? CHECK_MODE_FAILURES : STANDARD_FAILURES));
}

/** persist --check: drift between runtime, boot and ctdoctor's file, as an exit code. */
async function checkPersistence(context: CommandContext, options: PersistOptions): Promise<number> {
  const access = sysctlAccess(context.files, context.roots);
  const audit = await auditPersistence(options.root, access, context.facts);
  if (options.json) printJson(persistCheckJson(audit));
  else process.stdout.write(`${renderDrift(audit)}\n`);
  return auditInSync(audit) ? CHECK_EXIT.inSync : CHECK_EXIT.drift;
}

/** With --check, persist is a check: whatever keeps it from answering (a bad option too) is unknown. */
const CHECK_MODE_FAILURES: FailureReporting = {
  ...STANDARD_FAILURES,
  usageExit: CHECK_EXIT.unknown,
  failureExit: CHECK_EXIT.unknown,
};

/** The values asked for on the command line (--timeout, --max, --buckets), by sysctl key. */
function requestedValues(options: PersistOptions): Record<string, string> {
  const overrides: Record<string, string> = Object.fromEntries(
    options.timeout.map((spec) => {
      const timeout = parseTimeoutSpec(spec, '--timeout');
      return [timeout.key, String(timeout.seconds)];
    }),
  );
  if (options.max !== undefined) overrides[MAX_KEY] = String(options.max);
  if (options.buckets !== undefined) overrides[BUCKETS_KEY] = String(options.buckets);
  return overrides;
}

/** Plans the files, finds who else sets these keys and, with --apply, writes them (and --reload). */
async function runPersist(context: CommandContext, options: PersistOptions): Promise<PersistReport> {
  const root = options.root;
  if (options.file && options.file !== '/etc/sysctl.conf') {
    throw new CtdoctorError(
      'usage',
      '--file takes /etc/sysctl.conf (drop-ins are named by ctdoctor so they win)',
    );
  }
  const realPath = (path: string) => underRoot(root, path);
  const { plan, values } = await planPersistRequest(
    {
      root,
      overrides: requestedValues(options),
      target: options.file ? 'sysctl.conf' : 'dropin',
      fixConflicts: Boolean(options.fixConflicts),
      conntrackBuiltIn: context.facts.conntrackBuiltIn,
    },
    sysctlAccess(context.files, context.roots),
  );
  const self = await resolveNetns(undefined, context.roots);
  const found = await detectKeyOwners(root, context.roots, availableParallelism(), self.initial);
  const pending = await pendingWrites(plan, realPath);
  let result: PersistResult | null = null;
  if (options.apply) {
    if (process.getuid?.() !== 0 && root === '/')
      throw new CtdoctorError('permission', 'writing /etc needs root: run with sudo');
    result = await applyPersist(pending, values, {
      journal: journalFor(options),
      realPath,
      reload: options.reload ? sysctlAccess(netnsFiles(self, context.roots), context.roots) : null,
    });
  }
  return { plan, pending, owners: found.map(keyOwnerAdvice), result };
}
