import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { pc } from '../render/colors.js';
import { applyBlock, listBlocked, planBlock, removeBlock } from '../actions/block.js';
import { CtdoctorError } from '../core/errors.js';
import { LOOPBACK, parseNetwork, sshProtected } from '../core/firewall/blockGuards.js';
import { ALLOWLIST_FILE, readAllowlist } from '../host/allowlist.js';
import { type BackendChoice, Firewall, detectBackend } from '../host/firewall.js';
import { localProtectedAddresses } from '../host/hostAddresses.js';
import { buildAnalysisReport } from '../core/reports/analysisReport.js';
import { analyzeSource } from '../analysisRuntime/tableAnalysis.js';
import { openLiveTable } from '../host/tableSource.js';
import {
  type CommonOptions,
  type DurationBounds,
  addCommonOptions,
  durationRange,
  openContext,
  parseDuration,
} from './context.js';
import { addBackendOption } from './firewallOptions.js';
import { EXIT, printJson } from './output.js';
import { type StateOptions, addStateOptions, journalFor, undoCommand } from './stateOptions.js';

interface BlockOptions extends CommonOptions, StateOptions {
  ip: string[];
  ttl?: number;
  fromFindings?: boolean;
  allow: string[];
  list?: boolean;
  remove?: boolean;
  force?: boolean;
  apply?: boolean;
  backend: BackendChoice;
}

/**
 * An expiring block's lifetime, whole seconds as nft and ipset take it. ipset stops at 2147483 s
 * (IPSET_MAX_TIMEOUT, about 24.8 days, kernel include/linux/netfilter/ipset/ip_set.h): 24 d is the
 * longest both backends keep; a block meant to last longer is one without --ttl.
 */
const TTL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 1, maxSeconds: 24 * 86_400, wholeSeconds: true };

const collect = (value: string, previous: string[]) => [...previous, value];

export function blockCommand(): Command {
  const command = new Command('block').description(
    'drop a source before conntrack (nft set or ipset, optional expiry) and flush its entries; never locks you out',
  );
  addBackendOption(addStateOptions(addCommonOptions(command)))
    .option('--ip <address|cidr>', 'source to block (repeatable)', collect, [])
    .option(
      '--ttl <duration>',
      `expire the block after this long, e.g. 30m, 1h ${durationRange(TTL_BOUNDS)}`,
      parseDuration('--ttl', TTL_BOUNDS),
    )
    .option('--from-findings', 'block the scanners `ctdoctor analyze` finds in the live table')
    .option('--allow <cidr>', `never block this (repeatable; also ${ALLOWLIST_FILE})`, collect, [])
    .option('--list', 'list blocked sources')
    .option('--remove', 'unblock the --ip addresses')
    .option(
      '--force',
      'block even loopback, this host, the gateway, your SSH client or allowlisted addresses',
    )
    .option('--apply', 'change the firewall (without it, only the plan is printed)');
  return actionWithExitCode(command, async (options: BlockOptions) => {
    const context = await openContext(options);
    const firewall = new Firewall(context.files, await detectBackend(context.files, options.backend));
    if (options.list) {
      const entries = await listBlocked(firewall);
      if (options.json) printJson({ schema: 'ctdoctor.block-list/v1', backend: firewall.backend, entries });
      else
        process.stdout.write(
          entries.length === 0
            ? 'nothing blocked by ctdoctor\n'
            : `${entries.map((e) => `${e.address}${e.expiresSeconds !== null ? `  expires in ${e.expiresSeconds} s` : ''}`).join('\n')}\n`,
        );
      return EXIT.ok;
    }
    const targets = options.ip.map(parseNetwork);
    if (options.fromFindings) {
      const source = await openLiveTable(
        context.files,
        context.roots,
        options.source,
        context.netlinkAllowed,
      );
      const report = buildAnalysisReport(await analyzeSource(source, { capacity: 32768 }), source, {
        limit: 20,
        context: {},
      });
      for (const finding of report.findings.filter((f) => f.kind === 'port-scan'))
        targets.push(parseNetwork(finding.subject));
    }
    if (targets.length === 0)
      throw new CtdoctorError('usage', 'nothing to block: give --ip ADDRESS or --from-findings');
    const journal = journalFor(options);
    if (options.remove) {
      const result = options.apply ? await removeBlock(firewall, targets, journal) : null;
      if (options.json)
        printJson({
          schema: 'ctdoctor.block/v1',
          remove: targets.map((t) => t.text),
          applied: result !== null,
          ...(result ?? {}),
        });
      else
        process.stdout.write(
          result
            ? `unblocked: ${result.removed.join(', ') || 'nothing (not blocked)'}\n`
            : `plan: unblock ${targets.map((t) => t.text).join(', ')} (add --apply)\n`,
        );
      return EXIT.ok;
    }
    const protectedAddresses = [
      ...LOOPBACK,
      ...sshProtected(process.env.SSH_CONNECTION),
      ...(await localProtectedAddresses(context.files)),
      ...(await readAllowlist(options.root, options.allow)),
    ];
    const ttlSeconds = options.ttl ?? null;
    const plan = planBlock(targets, ttlSeconds, protectedAddresses, Boolean(options.force));
    if (plan.refused.length > 0) {
      const first = plan.refused[0]!;
      throw new CtdoctorError(
        'refused',
        `refusing to block ${first.target}: it covers ${first.conflicts.map((c) => `${c.network.text} (${c.why})`).join(', ')}; use --force if you are sure`,
      );
    }
    if (!options.apply) {
      if (options.json)
        printJson({
          schema: 'ctdoctor.block/v1',
          backend: firewall.backend,
          targets: targets.map((t) => t.text),
          ttlSeconds,
          applied: false,
        });
      else
        process.stdout.write(
          `plan: block ${targets.map((t) => t.text).join(', ')} on ${firewall.backend}${ttlSeconds ? ` for ${ttlSeconds} s` : ''}, then flush their conntrack entries (add --apply)\n`,
        );
      return EXIT.ok;
    }
    if (process.getuid?.() !== 0)
      throw new CtdoctorError('permission', 'changing the firewall needs root: run with sudo');
    const result = await applyBlock(firewall, plan, journal);
    if (options.json)
      printJson({
        schema: 'ctdoctor.block/v1',
        backend: firewall.backend,
        ttlSeconds,
        applied: true,
        ...result,
      });
    else {
      for (const address of result.blocked)
        process.stdout.write(
          `${pc.green('blocked')} ${address}${ttlSeconds ? ` for ${ttlSeconds} s` : ''}: ${result.flushed[address]} entries flushed\n`,
        );
      process.stdout.write(
        `journal ${result.journalId}: undo with  ${undoCommand(options)}  (or block --remove --ip …)\n`,
      );
    }
    return EXIT.ok;
  });
}
