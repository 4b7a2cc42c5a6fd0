import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { applyBlock, listBlocked, removeBlock } from '../actions/block.js';
import { blockRefusal, planBlock } from '../core/plan/blockPlan.js';
import { analyzeSource } from '../analysisRuntime/tableAnalysis.js';
import { CtdoctorError } from '../core/errors.js';
import { LOOPBACK, type ProtectedAddress, parseNetwork, sshProtected } from '../core/firewall/blockGuards.js';
import { type OffenderSelection, selectOffenders } from '../core/plan/blockFromFindings.js';
import type { BlockReport } from '../core/plan/blockResult.js';
import { buildAnalysisReport } from '../core/reports/analysisReport.js';
import { ALLOWLIST_FILE, readAllowlist } from '../host/allowlist.js';
import { type BackendChoice, Firewall, detectBackend } from '../host/firewall.js';
import { localProtectedAddresses } from '../host/hostAddresses.js';
import { openLiveTable } from '../host/tableSource.js';
import { blockJson, renderBlockText } from '../render/blockText.js';
import {
  type CommandContext,
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
    .option(
      '--from-findings',
      'block the offenders `ctdoctor analyze` names in the live table (port scanners), never loopback or this host',
    )
    .option('--allow <cidr>', `never block this (repeatable; also ${ALLOWLIST_FILE})`, collect, [])
    .option('--list', 'list blocked sources')
    .option('--remove', 'unblock the --ip addresses')
    .option(
      '--force',
      'block even loopback, this host, the gateway, your SSH client or allowlisted addresses',
    )
    .option('--apply', 'change the firewall (without it, only the plan is printed)');
  return actionWithExitCode(command, async (options: BlockOptions) => {
    const report = await runBlock(options);
    if (options.json) printJson(blockJson(report));
    else process.stdout.write(`${renderBlockText(report, undoCommand(options))}\n`);
    return EXIT.ok;
  });
}

async function runBlock(options: BlockOptions): Promise<BlockReport> {
  const context = await openContext(options);
  const firewall = new Firewall(context.files, await detectBackend(context.files, options.backend));
  if (options.list) return { kind: 'list', backend: firewall.backend, entries: await listBlocked(firewall) };
  const guards = await protectedAddresses(context, options);
  const fromFindings = await offendersToBlock(context, options, guards);
  const targets = [
    ...options.ip.map(parseNetwork),
    ...(fromFindings?.offenders ?? []).map((offender) => parseNetwork(offender.address)),
  ];
  if (targets.length === 0 && fromFindings)
    return {
      kind: 'block',
      backend: firewall.backend,
      targets: [],
      ttlSeconds: options.ttl ?? null,
      fromFindings,
      result: null,
    };
  if (targets.length === 0)
    throw new CtdoctorError('usage', 'nothing to block: give --ip ADDRESS or --from-findings');
  const texts = targets.map((target) => target.text);
  const journal = journalFor(options);
  if (options.remove) {
    const result = options.apply ? await removeBlock(firewall, targets, journal) : null;
    return { kind: 'unblock', targets: texts, result };
  }
  const ttlSeconds = options.ttl ?? null;
  const plan = planBlock(targets, ttlSeconds, guards, Boolean(options.force));
  const refusal = blockRefusal(plan);
  if (refusal) throw refusal;
  if (options.apply && process.getuid?.() !== 0)
    throw new CtdoctorError('permission', 'changing the firewall needs root: run with sudo');
  const result = options.apply ? await applyBlock(firewall, plan, journal) : null;
  return { kind: 'block', backend: firewall.backend, targets: texts, ttlSeconds, fromFindings, result };
}

/**
 * With --from-findings, the offenders `analyze` names in the live table (or the --proc-root tree's),
 * less any address the guards protect: loopback, this host, the SSH session, the allowlist.
 */
async function offendersToBlock(
  context: CommandContext,
  options: BlockOptions,
  guards: ProtectedAddress[],
): Promise<OffenderSelection | null> {
  if (!options.fromFindings) return null;
  const source = await openLiveTable(context.files, context.roots, options.source, context.netlinkAllowed);
  const report = buildAnalysisReport(await analyzeSource(source, { capacity: 32768 }), source, {
    limit: 20,
    context: {},
  });
  return selectOffenders(report.findings, guards);
}

/** What a block must never cover unless forced: loopback, the SSH client, this host, the allowlist. */
async function protectedAddresses(
  context: CommandContext,
  options: BlockOptions,
): Promise<ProtectedAddress[]> {
  return [
    ...LOOPBACK,
    ...sshProtected(process.env.SSH_CONNECTION),
    ...(await localProtectedAddresses(context.files)),
    ...(await readAllowlist(options.root, options.allow)),
  ];
}
