import { Command, Option } from 'commander';
import { CtdoctorError } from '../core/errors.js';
import { DEFAULT_MEMORY_BUDGET_SHARE } from '../core/plan/mitigationPlan.js';
import { TEXTFILE_NAME } from '../daemon/textfile.js';
import { MAX_FINDING_SUBJECTS } from '../daemon/namespaceFindings.js';
import { TIMEOUT_READ_INTERVAL_SECONDS } from '../daemon/timeoutReadSchedule.js';
import { actionWithExitCode } from './commandExit.js';
import {
  type DurationBounds,
  durationRange,
  formatBound,
  parseDuration,
  parsePercent,
  parseWholeNumber,
  percentOfRatio,
} from './context.js';
import { addStateOptions } from './stateOptions.js';
import { DEFAULT_RELIEF_COOLDOWN_SECONDS, type ServeCliOptions, parseAddressPort } from './serveOptions.js';
import { DEFAULT_ALERT_POLICY } from '../core/alerts/alertRules.js';
import {
  type AlertLogSink,
  DEFAULT_ALERT_QUEUE,
  DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
} from '../daemon/serveAlerts.js';

/**
 * Loopback unless told otherwise: the metrics name every namespace on the node. 9466 is not
 * node_exporter's 9100 nor a port of the conntrack exporters it replaces (9371, 9318, 9095, 9990).
 */
export const DEFAULT_LISTEN = '127.0.0.1:9466';

/** Prometheus's default scrape interval is 15 s: 5 s keeps every scrape under one sample old. */
const SAMPLE_INTERVAL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0.1, maxSeconds: 3600 };
const HISTORY_BOUNDS: DurationBounds = { unit: 's', minSeconds: 1, maxSeconds: 86_400 };
/** An alert's `for` or hold-down: 0 (at once) to a day. */
const ALERT_DURATION_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0, maxSeconds: 86_400 };
const WEBHOOK_TIMEOUT_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0.1, maxSeconds: 300 };
/**
 * Between two reliefs. Each step at least doubles the table, so the default 10 min leaves time to
 * see whether the last one held (and for an operator to look) before memory doubles again; a day
 * at most, past which the guard is a one-shot.
 */
const RELIEF_COOLDOWN_BOUNDS: DurationBounds = { unit: 's', minSeconds: 1, maxSeconds: 86_400 };
/** From every sample at 0.1 s (the tests) to a day; see timeoutReadSchedule.ts for the default. */
const DRIFT_TIMEOUTS_INTERVAL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0.1, maxSeconds: 86_400 };
/** 0 turns the analysis off; a day at most, like --history. */
const ANALYZE_INTERVAL_BOUNDS: DurationBounds = { unit: 's', minSeconds: 0, maxSeconds: 86_400 };

function subjectsUpToCap(value: number): string | null {
  return Number.isInteger(value) && value >= 0 && value <= MAX_FINDING_SUBJECTS
    ? null
    : `must be a whole number from 0 to ${MAX_FINDING_SUBJECTS}`;
}

/** An http(s) URL to POST alerts to; anything else is refused before the daemon starts. */
function parseWebhookUrl(value: string, previous: string[]): string[] {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new CtdoctorError('usage', `--alert-webhook "${value}" is not an http:// or https:// URL`);
  return [...previous, value];
}

function collectLogSink(value: string, previous: AlertLogSink[]): AlertLogSink[] {
  if (value !== 'stdout' && value !== 'syslog')
    throw new CtdoctorError('usage', `--alert-log "${value}" is not stdout or syslog`);
  return [...previous, value];
}

/** The alert options: where notifications go, and the table's thresholds and durations. */
function addAlertOptions(command: Command): Command {
  const policy = DEFAULT_ALERT_POLICY;
  const duration = (flag: string, help: string, seconds: number) =>
    new Option(`${flag} <seconds>`, `${help} ${durationRange(ALERT_DURATION_BOUNDS)}`)
      .argParser(parseDuration(flag, ALERT_DURATION_BOUNDS))
      .default(seconds, formatBound(seconds));
  return command
    .addOption(
      new Option(
        '--alert-webhook <url>',
        "POST each alert's firing and resolved notification there as Alertmanager's webhook payload (repeatable)",
      )
        .argParser(parseWebhookUrl)
        .default([], 'none'),
    )
    .addOption(
      new Option(
        '--alert-log <sink>',
        'also write each notification as a logfmt line to stdout, or to syslog through logger (repeatable)',
      )
        .argParser(collectLogSink)
        .default([], 'none'),
    )
    .option(
      '--alert-syslog-server <address:port>',
      'with --alert-log syslog: send to this syslog server over UDP (RFC 5424) instead of /dev/log',
      (value: string) => parseAddressPort('--alert-syslog-server', value, 'e.g. 127.0.0.1:514'),
    )
    .option(
      '--alert-webhook-timeout <seconds>',
      `time a webhook has to answer before the try counts as failed ${durationRange(WEBHOOK_TIMEOUT_BOUNDS)}`,
      parseDuration('--alert-webhook-timeout', WEBHOOK_TIMEOUT_BOUNDS),
      DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
    )
    .option(
      '--alert-queue <n>',
      'notifications a sink keeps while it cannot deliver; the oldest is dropped beyond',
      parseWholeNumber('--alert-queue'),
      DEFAULT_ALERT_QUEUE,
    )
    .addOption(
      new Option('--alert-nearly-full <percent>', 'usage that raises ConntrackTableNearlyFull (warning)')
        .argParser(parsePercent('--alert-nearly-full'))
        .default(policy.nearlyFullRatio, `${percentOfRatio(policy.nearlyFullRatio)}%`),
    )
    .addOption(
      new Option('--alert-full <percent>', 'usage that raises ConntrackTableFull (critical)')
        .argParser(parsePercent('--alert-full'))
        .default(policy.fullRatio, `${percentOfRatio(policy.fullRatio)}%`),
    )
    .addOption(
      duration(
        '--alert-nearly-full-for',
        'how long the usage stays at --alert-nearly-full before it fires',
        policy.nearlyFullForSeconds,
      ),
    )
    .addOption(
      duration(
        '--alert-full-for',
        'how long the usage stays at --alert-full before it fires',
        policy.fullForSeconds,
      ),
    )
    .addOption(
      duration(
        '--alert-hold-down',
        'how long loss, table-full messages or usage must stay quiet before an alert resolves',
        policy.holdDownSeconds,
      ),
    )
    .addOption(
      duration(
        '--alert-drift-hold-down',
        'how long after the last outside change of a setting its alert resolves',
        policy.driftHoldDownSeconds,
      ),
    );
}

/** `version` comes from main.ts, which imports this file (importing it back would be a circle). */
export function serveCommand(version: string): Command {
  const command = new Command('serve')
    .description(
      "sample every namespace's table and counters and serve them as Prometheus metrics (changes nothing unless --auto-relief)",
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
    .addOption(
      new Option(
        '--token-file <file>',
        'require "Authorization: Bearer <the file\'s one line>" on /metrics and /api/* (the page and /healthz stay open)',
      ).conflicts('textfile'),
    )
    .addOption(
      new Option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain)').conflicts('textfile'),
    )
    .addOption(new Option('--tls-key <file>', "the certificate's PEM private key").conflicts('textfile'))
    .option('--proc-root <dir>', 'procfs mount to read (e.g. /host/proc in a container)', '/proc')
    .option('--sys-root <dir>', 'sysfs mount to read', '/sys')
    .option(
      '--auto-relief',
      'when a namespace drops packets at a full table, raise nf_conntrack_max (and buckets) one step as mitigate --apply would: journaled, undone by ctdoctor rollback (changes the system; off by default)',
    )
    .option(
      '--relief-budget <size>',
      `with --auto-relief: never a table bigger than this at max (default ${DEFAULT_MEMORY_BUDGET_SHARE * 100}% of RAM; e.g. 2G, 15%)`,
    )
    .option(
      '--relief-cooldown <seconds>',
      `with --auto-relief: at most one relief per this long ${durationRange(RELIEF_COOLDOWN_BOUNDS)} (default ${formatBound(DEFAULT_RELIEF_COOLDOWN_SECONDS)})`,
      parseDuration('--relief-cooldown', RELIEF_COOLDOWN_BOUNDS),
    );
  addAlertOptions(command);
  command
    .option(
      '--drift-timeouts-interval <seconds>',
      `read the conntrack timeouts for drift this often; max and buckets every sample ${durationRange(DRIFT_TIMEOUTS_INTERVAL_BOUNDS)}`,
      parseDuration('--drift-timeouts-interval', DRIFT_TIMEOUTS_INTERVAL_BOUNDS),
      TIMEOUT_READ_INTERVAL_SECONDS,
    )
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
    // The daemon (prom-client, the HTTP server, the watchers) loads only for serve: every other
    // command would pay its start-up.
    const { runServe } = await import('./serveRun.js');
    return runServe(options, version);
  });
}
