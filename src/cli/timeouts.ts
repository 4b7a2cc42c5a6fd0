import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { pendingWrites } from '../actions/persist.js';
import { planPersistRequest } from '../actions/persistValues.js';
import { type TimeoutsPersist, applyTimeouts } from '../actions/timeouts.js';
import { CtdoctorError } from '../core/errors.js';
import { RECOMMENDATION_BASIS } from '../core/plan/recommendedTimeouts.js';
import { protectedFlowRefusal } from '../core/plan/timeoutImpact.js';
import {
  type TimeoutChange,
  persistCommandFor,
  planTimeoutChanges,
  protectedPortsWith,
  timeoutRows,
} from '../core/plan/timeoutsPlan.js';
import type { TimeoutsApplied, TimeoutsResult } from '../core/plan/timeoutsResult.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import { underRoot } from '../host/confTree.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { scanTimeoutImpact } from '../analysisRuntime/timeoutImpactScan.js';
import { renderTimeoutsText, timeoutsJson } from '../render/timeoutsText.js';
import { openLiveTable } from '../host/tableSource.js';
import { type CommandContext, type CommonOptions, addCommonOptions, openContext } from './context.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor, undoCommand } from './stateOptions.js';

interface TimeoutsOptions extends CommonOptions, StateOptions {
  set: string[];
  persist?: boolean;
  protect: string[];
  force?: boolean;
  apply?: boolean;
  flushIdle?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function timeoutsCommand(): Command {
  const command = new Command('timeouts').description(
    'every conntrack timeout (current, default, recommended) and, with --set, the impact on the live table before changing it',
  );
  addStateOptions(addCommonOptions(command))
    .option(
      '--set <name=seconds>',
      'proposed value, e.g. tcp_timeout_established=43200 (repeatable)',
      collect,
      [],
    )
    .option('--protect <port>', 'also treat this port as long-lived (repeatable)', collect, [])
    .option('--force', 'apply even when long-lived SSH/database flows would be cut')
    .option(
      '--flush-idle',
      'with --apply: delete TCP/UDP entries already idle longer than the new timeout (existing timers do not shrink by themselves)',
    )
    .option(
      '--persist',
      "with --apply: also persist the values in ctdoctor's sysctl.d drop-in (host namespace only)",
    )
    .option('--apply', 'write the values in this namespace (without it, only the plan is printed)');
  return actionWithExitCode(command, async (options: TimeoutsOptions) => {
    const result = await runTimeouts(options, await openContext(options));
    if (options.json) printJson(timeoutsJson(result));
    else process.stdout.write(`${renderTimeoutsText(result, undoCommand(options))}\n`);
    return result.refusal && options.apply ? EXIT.failure : EXIT.ok;
  });
}

/** Reads the timeouts, scans the table for the --set values, and applies them if asked and not refused. */
async function runTimeouts(options: TimeoutsOptions, context: CommandContext): Promise<TimeoutsResult> {
  const settings = await readConntrackSettings(context.files);
  const timeouts = timeoutRows(settings.timeouts);
  const changes = planTimeoutChanges(options.set, settings.timeouts);
  const protectedPorts = protectedPortsWith(options.protect);
  const scan =
    changes.length > 0
      ? await scanTimeoutImpact(
          await openLiveTable(context.files, context.roots, options.source, context.netlinkAllowed),
          changes,
          protectedPorts,
        )
      : null;
  const risk = protectedFlowRefusal(scan?.impacts ?? []);
  const refusal = risk && !options.force ? risk : null;
  if (options.persist && !context.files.target.initial) {
    throw new CtdoctorError(
      'usage',
      "--persist writes the host's sysctl.d, which configures only its initial namespace; set a container's timeouts through its runtime (docker --sysctl, pod securityContext.sysctls)",
    );
  }
  const applied =
    options.apply && changes.length > 0 && !refusal
      ? await applyTimeoutChanges(
          options,
          context,
          changes,
          options.flushIdle && scan ? scan.flushLines : null,
        )
      : null;
  return {
    basis: RECOMMENDATION_BASIS,
    timeouts,
    changes,
    scan: scan ? { entries: scan.entries, impacts: scan.impacts } : null,
    refusal,
    applied,
    persistCommand: persistCommandFor(changes, Boolean(options.persist)),
  };
}

/** Writes the values (and with --persist the drop-in) as one journaled entry, then flushes the idle entries. */
async function applyTimeoutChanges(
  options: TimeoutsOptions,
  context: CommandContext,
  changes: TimeoutChange[],
  idleEntryDeletions: string[] | null,
): Promise<TimeoutsApplied> {
  const persist = options.persist ? await planTimeoutsPersist(options, changes, context) : null;
  const { journalId, flushed } = await applyTimeouts(
    context.files,
    context.roots,
    changes,
    idleEntryDeletions,
    journalFor(options),
    persist,
  );
  return { journalId, flushed, persisted: persist?.writes.map((write) => write.path) ?? [] };
}

/** The drop-in writes that persist the new timeouts (with what ctdoctor persisted before). */
async function planTimeoutsPersist(
  options: TimeoutsOptions,
  changes: TimeoutChange[],
  context: CommandContext,
): Promise<TimeoutsPersist> {
  const overrides = Object.fromEntries(
    changes.map((c) => [`net.netfilter.nf_conntrack_${c.name}`, String(c.newSeconds)]),
  );
  const { plan } = await planPersistRequest(
    {
      root: options.root,
      overrides,
      target: 'dropin',
      fixConflicts: false,
      conntrackBuiltIn: context.facts.conntrackBuiltIn,
    },
    sysctlAccess(context.files, context.roots),
  );
  const realPath = (path: string) => underRoot(options.root, path);
  return { writes: await pendingWrites(plan, realPath), realPath };
}
