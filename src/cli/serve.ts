import { Command, Option } from 'commander';
import ipaddr from 'ipaddr.js';
import { CtdoctorError } from '../core/errors.js';
import { ServeDaemon, TEXTFILE_NAME } from '../daemon/serveDaemon.js';
import { MAX_FINDING_SUBJECTS } from '../daemon/watcherMetrics.js';
import type { ListenAddress } from '../daemon/httpServer.js';
import { samplerSourceOf } from '../daemon/sampler.js';
import { requireDirectory } from '../host/fileFailures.js';
import { actionWithExitCode } from './commandExit.js';
import { type DurationBounds, durationRange, openRoots, parseDuration, parseWholeNumber } from './context.js';
import { EXIT } from './output.js';
import { type StateOptions, addStateOptions, journalFor } from './stateOptions.js';

/**
 * Loopback unless told otherwise: the metrics name every namespace on the node. 9466 is not
 * node_exporter's 9100 nor a port of the conntrack exporters it replaces (9371, 9318, 9095, 9990).
 */
export const DEFAULT_LISTEN = '127.0.0.1:9466';

/** Prometheus's default scrape interval is 15 s: 5 s keeps every scrape under one sample old. */
const SAMPLE_INTERVAL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0.1, maxSeconds: 3600 };
const HISTORY_BOUNDS: DurationBounds = { unit: 's', minSeconds: 1, maxSeconds: 86_400 };
/** 0 turns the analysis off; a day at most, like --history. */
const ANALYZE_INTERVAL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0, maxSeconds: 86_400 };

function subjectsUpToCap(value: number): string | null {
  return Number.isInteger(value) && value >= 0 && value <= MAX_FINDING_SUBJECTS
    ? null
    : `must be a whole number from 0 to ${MAX_FINDING_SUBJECTS}`;
}

interface ServeCliOptions extends StateOptions {
  listen: string;
  textfile?: string;
  once?: boolean;
  interval: number;
  maxNetns: number;
  history: number;
  procRoot: string;
  sysRoot: string;
  analyzeInterval: number;
  analyzeMinEntries: number;
  findingSubjects: number;
}

/** "127.0.0.1:9466" or "[::1]:9466": an address literal (no name to resolve) and a port. */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || host === undefined || !ipaddr.isValid(host) || port < 0 || port > 65_535) {
    throw new CtdoctorError(
      'usage',
      `--listen "${value}" is not ADDRESS:PORT (e.g. 127.0.0.1:9466, [::1]:9466, 0.0.0.0:9466; port 0 picks a free one)`,
    );
  }
  return { host, port };
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** `version` comes from main.ts, which imports this file (importing it back would be a circle). */
export function serveCommand(version: string): Command {
  const command = new Command('serve')
    .description(
      "sample every namespace's table and counters and serve them as Prometheus metrics (changes nothing)",
    )
    .addOption(
      new Option(
        '--listen <address:port>',
        'where /metrics listens (loopback by default: give 0.0.0.0:9466 to expose)',
      )
        .default(DEFAULT_LISTEN)
        .conflicts('textfile'),
    )
    .option(
      '--textfile <dir>',
      `write ${TEXTFILE_NAME} into DIR each interval (node_exporter's textfile collector) instead of listening`,
    )
    .option('--once', 'with --textfile: write once and exit (cron)')
    .option(
      '--interval <seconds>',
      `time between samples ${durationRange(SAMPLE_INTERVAL_BOUNDS)}`,
      parseDuration('--interval', SAMPLE_INTERVAL_BOUNDS),
      5,
    )
    .option(
      '--max-netns <n>',
      'namespaces with their own series; the rest are summed into netns="other"',
      parseWholeNumber('--max-netns'),
      500,
    )
    .addOption(
      new Option('--history <seconds>', `samples kept in memory ${durationRange(HISTORY_BOUNDS)}`)
        .argParser(parseDuration('--history', HISTORY_BOUNDS))
        .default(3600, '1 h'),
    )
    .option('--proc-root <dir>', 'procfs mount to read (e.g. /host/proc in a container)', '/proc')
    .option('--sys-root <dir>', 'sysfs mount to read', '/sys')
    .addOption(
      new Option(
        '--analyze-interval <seconds>',
        `analyse big namespaces' tables this often, in a worker thread; 0 = off ${durationRange(ANALYZE_INTERVAL_BOUNDS)}`,
      )
        .argParser(parseDuration('--analyze-interval', ANALYZE_INTERVAL_BOUNDS))
        .default(60),
    )
    .option(
      '--analyze-min-entries <n>',
      'analyse only namespaces with at least this many entries',
      parseWholeNumber('--analyze-min-entries'),
      10_000,
    )
    .option(
      '--finding-subjects <n>',
      `export the N most severe findings' subjects per namespace as ctdoctor_finding_info (0 = off, at most ${MAX_FINDING_SUBJECTS})`,
      parseWholeNumber('--finding-subjects', subjectsUpToCap),
      0,
    );
  addStateOptions(command);
  return actionWithExitCode(command, async (options: ServeCliOptions) => {
    if (options.once && !options.textfile)
      throw new CtdoctorError('usage', '--once writes the textfile once: give --textfile DIR too');
    const listen = parseListen(options.listen);
    if (options.textfile) await requireDirectory('--textfile', options.textfile);
    const log = (line: string) => process.stderr.write(`ctdoctor serve: ${line}\n`);
    const daemon = new ServeDaemon({
      source: samplerSourceOf(await openRoots(options)),
      intervalSeconds: options.interval,
      maxNetns: options.maxNetns,
      historySeconds: options.history,
      output: options.textfile ? { textfileDir: options.textfile } : { listen },
      build: { version },
      log,
      analysis: {
        // --once writes before any round could end: no worker for it.
        intervalSeconds: options.once ? 0 : options.analyzeInterval,
        minEntries: options.analyzeMinEntries,
        findingSubjects: options.findingSubjects,
      },
      journal: journalFor(options),
    });
    if (options.once) {
      await daemon.sampleOnce();
      await daemon.stop();
      return EXIT.ok;
    }
    const stopped = waitForStopSignal();
    await daemon.start();
    log(
      options.textfile
        ? `writing ${options.textfile}/${TEXTFILE_NAME} every ${options.interval} s`
        : `listening on http://${daemon.listeningOn()}/metrics (every ${options.interval} s)`,
    );
    log(`stopping on ${await stopped}`);
    await daemon.stop();
    return EXIT.ok;
  });
}
