import { hostname } from 'node:os';
import { required } from '../collectors/collector.js';
import { hostFacts } from '../collectors/hostFacts.js';
import { DEFAULT_RETRY_BACKOFF } from '../core/alerts/retryBackoff.js';
import { CtdoctorError } from '../core/errors.js';
import { parseMemoryBudget } from '../core/plan/memoryBudget.js';
import { DEFAULT_MEMORY_BUDGET_SHARE } from '../core/plan/mitigationPlan.js';
import { AutoRelief, liveReliefHost } from '../daemon/autoRelief.js';
import { keepHeapNearLive } from '../daemon/heapGrowth.js';
import { readHttpSecurity } from '../daemon/httpSecurity.js';
import { samplerSourceOf } from '../daemon/sampler.js';
import type { ServeAlertsOptions } from '../daemon/serveAlerts.js';
import { ServeDaemon } from '../daemon/serveDaemon.js';
import { TEXTFILE_NAME } from '../daemon/textfile.js';
import { requireDirectory } from '../host/fileFailures.js';
import type { HostRoots } from '../host/roots.js';
import { openRoots, percentOfRatio } from './context.js';
import { EXIT } from './output.js';
import { DEFAULT_RELIEF_COOLDOWN_SECONDS, type ServeCliOptions, parseListen } from './serveOptions.js';
import { journalFor, undoCommand } from './stateOptions.js';

function alertsOf(options: ServeCliOptions): ServeAlertsOptions {
  if (options.alertFull < options.alertNearlyFull)
    throw new CtdoctorError(
      'usage',
      `--alert-full ${percentOfRatio(options.alertFull)}% is below --alert-nearly-full ${percentOfRatio(options.alertNearlyFull)}%: give it at least that`,
    );
  if (options.alertSyslogServer && !options.alertLog.includes('syslog'))
    throw new CtdoctorError('usage', '--alert-syslog-server needs --alert-log syslog too');
  return {
    policy: {
      nearlyFullRatio: options.alertNearlyFull,
      fullRatio: options.alertFull,
      nearlyFullForSeconds: options.alertNearlyFullFor,
      fullForSeconds: options.alertFullFor,
      holdDownSeconds: options.alertHoldDown,
      driftHoldDownSeconds: options.alertDriftHoldDown,
    },
    webhooks: options.alertWebhook,
    logs: [...new Set(options.alertLog)],
    syslog: { server: options.alertSyslogServer },
    webhookTimeoutSeconds: options.alertWebhookTimeout,
    queueCapacity: options.alertQueue,
    backoff: DEFAULT_RETRY_BACKOFF,
    instance: hostname(),
  };
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

const RELIEF_FLAGS = {
  reliefBudget: '--relief-budget',
  reliefCooldown: '--relief-cooldown',
} as const;

/** The relief --auto-relief asks for (its options refused without it), or undefined. */
async function reliefOf(
  options: ServeCliOptions,
  roots: HostRoots,
  log: (line: string) => void,
): Promise<AutoRelief | undefined> {
  if (!options.autoRelief) {
    const given = Object.entries(RELIEF_FLAGS).find(([key]) => options[key as keyof typeof RELIEF_FLAGS]);
    if (given)
      throw new CtdoctorError('usage', `${given[1]} configures --auto-relief: give --auto-relief too`);
    return undefined;
  }
  if (options.once)
    throw new CtdoctorError('usage', '--auto-relief compares samples over time: it cannot run with --once');
  const memTotal = required(await hostFacts(roots)).memTotalBytes;
  if (memTotal === undefined)
    throw new CtdoctorError(
      'not-found',
      '/proc/meminfo is unreadable: --auto-relief cannot size the table safely',
    );
  return new AutoRelief({
    host: liveReliefHost(roots, journalFor(options)),
    cooldownSeconds: options.reliefCooldown ?? DEFAULT_RELIEF_COOLDOWN_SECONDS,
    memoryBudgetBytes: options.reliefBudget
      ? parseMemoryBudget(options.reliefBudget, memTotal, '--relief-budget')
      : memTotal * DEFAULT_MEMORY_BUDGET_SHARE,
    undoCommand: undoCommand(options),
    log,
  });
}

/** serve's action: what `ctdoctor serve` does once its options are parsed (serve.ts). */
export async function runServe(options: ServeCliOptions, version: string): Promise<number> {
  if (options.once && !options.textfile)
    throw new CtdoctorError('usage', '--once writes the textfile once: give --textfile DIR too');
  const listen = parseListen(options.listen);
  const alerts = alertsOf(options);
  if (options.textfile) await requireDirectory('--textfile', options.textfile);
  const security = await readHttpSecurity(options);
  const log = (line: string) => process.stderr.write(`ctdoctor serve: ${line}\n`);
  keepHeapNearLive();
  const roots = await openRoots(options);
  const daemon = new ServeDaemon({
    source: samplerSourceOf(roots),
    relief: await reliefOf(options, roots, log),
    intervalSeconds: options.interval,
    driftTimeoutsIntervalSeconds: options.driftTimeoutsInterval,
    maxNetns: options.maxNetns,
    historySeconds: options.history,
    output: options.textfile ? { textfileDir: options.textfile } : { listen, security },
    build: { version },
    log,
    alerts,
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
      : `listening on ${security.tls ? 'https' : 'http'}://${daemon.listeningOn()}/metrics (every ${options.interval} s; dashboard at /)`,
  );
  log(`stopping on ${await stopped}`);
  await daemon.stop();
  return EXIT.ok;
}
