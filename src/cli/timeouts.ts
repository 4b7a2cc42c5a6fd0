import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { pc } from '../render/colors.js';
import { pendingWrites } from '../actions/persist.js';
import { planPersistRequest } from '../actions/persistValues.js';
import { type TimeoutChange, type TimeoutsPersist, applyTimeouts } from '../actions/timeouts.js';
import { CtdoctorError } from '../core/errors.js';
import { PROTECTED_PORTS, protectedFlowRefusal } from '../core/plan/timeoutImpact.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../core/plan/timeoutDefaults.js';
import { parseTimeoutSpec } from '../core/plan/timeoutSpec.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import { underRoot } from '../host/confTree.js';
import { sysctlAccess } from '../host/sysctlAccess.js';
import { scanTimeoutImpact } from '../analysisRuntime/timeoutImpactScan.js';
import { formatCount } from '../render/format.js';
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

/**
 * The recommended profile and its basis: kube-proxy's default tcp_timeout_established (24 h, a
 * fifth of the kernel's 5 days), which large fleets run; every other timeout stays at the kernel
 * default, whose values are already short.
 */
export const RECOMMENDED_TIMEOUTS: Readonly<Record<string, number>> = { tcp_timeout_established: 86400 };
const RECOMMENDATION_BASIS = 'kube-proxy default for established (24 h); kernel defaults elsewhere';

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
    const context = await openContext(options);
    const settings = await readConntrackSettings(context.files);
    // frag6_timeout is IPv6 reassembly, not the lifetime of a table entry.
    const rows = Object.keys(settings.timeouts)
      .filter((name) => !name.startsWith('frag'))
      .sort()
      .map((name) => ({
        name,
        current: settings.timeouts[name]!,
        default: KERNEL_DEFAULT_TIMEOUTS[name] ?? null,
        recommended: RECOMMENDED_TIMEOUTS[name] ?? KERNEL_DEFAULT_TIMEOUTS[name] ?? null,
      }));
    const changes = options.set.map((spec) => {
      const { name, seconds } = parseTimeoutSpec(spec, '--set');
      if (settings.timeouts[name] === undefined)
        throw new CtdoctorError(
          'usage',
          `--set "${spec}": this kernel has no timeout ${name} (see ctdoctor timeouts)`,
        );
      return { name, currentSeconds: settings.timeouts[name]!, newSeconds: seconds };
    });
    const protectedPorts: Record<number, string> = { ...PROTECTED_PORTS };
    for (const port of options.protect) {
      if (!/^\d+$/.test(port) || Number(port) > 65535)
        throw new CtdoctorError('usage', `--protect ${port} is not a port`);
      protectedPorts[Number(port)] = `port ${port}`;
    }
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
    let applied: { journalId: string | null; flushed: number; persisted: string[] } | null = null;
    if (options.apply && changes.length > 0 && !refusal) {
      const persist = options.persist ? await planTimeoutsPersist(options, changes, context) : null;
      const result = await applyTimeouts(
        context.files,
        context.roots,
        changes,
        options.flushIdle && scan ? scan.flushLines : null,
        journalFor(options),
        persist,
      );
      applied = { ...result, persisted: persist?.writes.map((write) => write.path) ?? [] };
    }
    const persistCommand =
      changes.length > 0 && !options.persist
        ? `ctdoctor persist ${changes.map((c) => `--timeout ${c.name}=${c.newSeconds}`).join(' ')} --apply`
        : null;
    if (options.json) {
      printJson({
        schema: 'ctdoctor.timeouts/v1',
        basis: RECOMMENDATION_BASIS,
        timeouts: rows,
        impacts: scan?.impacts ?? [],
        entries: scan?.entries ?? null,
        refusal,
        applied: applied !== null,
        ...(applied ?? {}),
        persistCommand,
      });
    } else {
      const lines = [
        pc.bold(
          `${'timeout'.padEnd(32)} ${'current'.padStart(9)} ${'default'.padStart(9)} ${'recommended'.padStart(12)}`,
        ),
      ];
      for (const row of rows) {
        const differs = row.default !== null && row.current !== row.default;
        lines.push(
          `${row.name.padEnd(32)} ${String(row.current).padStart(9)} ${String(row.default ?? '-').padStart(9)} ${String(row.recommended ?? '-').padStart(12)}${differs ? pc.yellow('  (changed)') : ''}${row.recommended !== null && row.recommended !== row.current ? pc.cyan('  ←') : ''}`,
        );
      }
      lines.push(pc.dim(`recommended: ${RECOMMENDATION_BASIS}`));
      for (const impact of scan?.impacts ?? []) {
        lines.push('');
        lines.push(pc.bold(`${impact.name}: ${impact.currentSeconds} → ${impact.newSeconds} s`));
        lines.push(
          `  governs ${formatCount(impact.governed)} of ${formatCount(scan!.entries)} entries; ${formatCount(impact.idleBeyondNew)} are already idle longer than ${impact.newSeconds} s`,
        );
        lines.push(
          "  existing timers do not shrink: the new value applies at each entry's next packet; --flush-idle deletes the idle ones now",
        );
        for (const [service, count] of Object.entries(impact.protectedFlows))
          lines.push(pc.yellow(`  ${count} ${service} flows are governed by it`));
      }
      if (refusal) lines.push(pc.red(`REFUSED: ${refusal}`));
      if (applied)
        lines.push(
          pc.green(
            `applied${applied.flushed ? `, ${applied.flushed} idle entries flushed` : ''}; journal ${applied.journalId}: undo with ${undoCommand(options)}`,
          ),
        );
      else if (changes.length > 0 && !refusal) lines.push('plan only: add --apply');
      if (applied?.persisted.length) lines.push(pc.green(`persisted in ${applied.persisted.join(', ')}`));
      if (persistCommand) lines.push(`to make it stick: ${persistCommand}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return refusal && options.apply ? EXIT.failure : EXIT.ok;
  });
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
