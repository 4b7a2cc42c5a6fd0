import { writeFileAtomic } from '../host/atomicFile.js';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AutoRelief, ReliefEvent } from './autoRelief.js';
import type { Journal } from '../actions/journal.js';
import type { Verdict } from '../core/status.js';
import { netnsFiles } from '../host/netnsFiles.js';
import { listProcessStarts } from '../host/processStarts.js';
import { DriftWatcher, driftLogLine, journaledSysctls } from './driftWatcher.js';
import { NamespaceAnalyzer } from './namespaceAnalyzer.js';
import type { NamespaceFindings } from './namespaceFindings.js';
import { namespaceVerdicts } from './namespaceVerdicts.js';
import { TableFullCounter } from './tableFullCounter.js';
import { TimeoutReadSchedule } from './timeoutReadSchedule.js';
import { MAX_FINDING_SUBJECTS } from './namespaceFindings.js';
import { TEXTFILE_NAME } from './textfile.js';
import { type Exposition, SeriesFolder } from './exposedSeries.js';
import { renderExposition } from './exposition.js';
import { type HistoryPoint, historyPointOf } from './historyPoint.js';
import { HistoryRing, historyCapacity } from './historyRing.js';
import { type BuildInfo, serveRegistry } from './metrics.js';
import { Sampler, type SamplerSource } from './sampler.js';
import type { ServeSample } from './serveSample.js';
import { hostname } from 'node:os';
import type { AlertEpisode } from '../core/alerts/alertEpisodes.js';
import { addAlertMetrics } from './alertMetrics.js';
import { ServeAlerts, type ServeAlertsOptions, alertsWithoutSinks } from './serveAlerts.js';
import { type HttpSecurity, type ListenAddress, startHttpServer, stopHttpServer } from './httpServer.js';
import { DEFAULT_THRESHOLDS } from '../core/status.js';
import { ServeApi } from './apiRoutes.js';
import { dashboardRoutes } from './dashboardAssets.js';

export interface ServeOptions {
  source: SamplerSource;
  intervalSeconds: number;
  /** How often the drift watcher reads the timeouts (--drift-timeouts-interval; default a minute). */
  driftTimeoutsIntervalSeconds?: number;
  maxNetns: number;
  historySeconds: number;
  /** Where to listen (with a token and TLS when given), or (instead) the directory to write the textfile into. */
  output: { listen: ListenAddress; security?: HttpSecurity } | { textfileDir: string };
  build: BuildInfo;
  /** One line per event worth an operator's attention (stderr). */
  log: (line: string) => void;
  /** Where alerts go and when they fire (default: evaluated, sent nowhere). */
  alerts?: ServeAlertsOptions;
  /** The --alert-log stdout sink's writer (default: process.stdout). */
  writeStdout?: (line: string) => void;
  /** --auto-relief: raises the limit when a namespace drops at a full table (off when absent). */
  relief?: AutoRelief;
  /** The --analyze-interval worker: off when absent or at 0 s. */
  analysis?: { intervalSeconds: number; minEntries: number; findingSubjects: number };
  /** ctdoctor's journal: a setting it changed is attributed to it, not reported as someone else's. */
  journal?: Journal;
}

/**
 * Logs a collector's failure once when it starts and once when it ends, not once per interval: a
 * node without the stat file would otherwise fill the journal with the same line every 5 s.
 */
function collectorLogger(log: (line: string) => void): (sample: ServeSample) => void {
  const failing = new Set<string>();
  return (sample) => {
    for (const outcome of sample.collectors) {
      if (!outcome.ok && !failing.has(outcome.collector)) {
        failing.add(outcome.collector);
        log(`collector "${outcome.collector}" failed: ${outcome.message ?? 'no reason given'}`);
      } else if (outcome.ok && failing.delete(outcome.collector)) {
        log(`collector "${outcome.collector}" recovered`);
      }
    }
  };
}

export class ServeDaemon {
  readonly history: HistoryRing<HistoryPoint>;
  /** The latest sample, whole (the history keeps less of it): the next one's verdicts and relief compare with it. */
  private lastSample: ServeSample | undefined;
  private readonly folder: SeriesFolder;
  private readonly logOutcomes: (sample: ServeSample) => void;
  private latest: Exposition | undefined;
  /**
   * The latest sample's exposition, UTF-8 encoded once per sample: building it for 200 namespaces
   * takes prom-client 10–80 ms, which per scrape was a 150 ms p99; now a scrape only writes bytes
   * (and the build yields between metrics, so a scrape during it is not held up: exposition.ts).
   */
  private body = Buffer.alloc(0);
  private readonly sampler: Sampler;
  private readonly api: ServeApi;
  private timer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private stopped = false;
  private readonly reliefListeners: ((event: ReliefEvent) => void)[] = [];
  readonly registry;
  private readonly alerts: ServeAlerts;
  /** Only on the running kernel: a --proc-root tree has no kernel log of its own. */
  private readonly tableFull: TableFullCounter | undefined;
  private readonly drift: DriftWatcher;
  private readonly analyzer: NamespaceAnalyzer | undefined;
  private verdicts = new Map<number, Verdict>();

  constructor(private readonly options: ServeOptions) {
    this.history = new HistoryRing(historyCapacity(options.historySeconds, options.intervalSeconds));
    this.folder = new SeriesFolder(options.maxNetns);
    this.logOutcomes = collectorLogger(options.log);
    const { analysis, journal, source } = options;
    this.registry = serveRegistry(
      () => this.latest!,
      options.build,
      options.relief && (() => options.relief!.tally),
      {
        findings: () => this.findings(),
        verdicts: () => this.verdicts,
        driftTotals: () => this.drift.eventTotals(),
        findingSubjects: Math.min(analysis?.findingSubjects ?? 0, MAX_FINDING_SUBJECTS),
      },
    );
    this.sampler = new Sampler(source);
    this.tableFull = source.live ? new TableFullCounter() : undefined;
    const timeouts = new TimeoutReadSchedule(options.intervalSeconds, options.driftTimeoutsIntervalSeconds);
    this.drift = new DriftWatcher(timeouts, {
      journal: async () => (journal ? journaledSysctls(journal) : []),
      processes: () => listProcessStarts(source.roots),
    });
    if (analysis && analysis.intervalSeconds > 0)
      this.analyzer = new NamespaceAnalyzer({
        intervalSeconds: analysis.intervalSeconds,
        minEntries: analysis.minEntries,
        roots: source.roots,
        netlinkAllowed: source.live,
        log: options.log,
      });
    this.alerts = new ServeAlerts(options.alerts ?? alertsWithoutSinks(hostname()), {
      externalURL: () => this.externalURL(),
      userAgent: `ctdoctor/${options.build.version}`,
      log: options.log,
      writeStdout: options.writeStdout ?? ((line) => process.stdout.write(line)),
    });
    addAlertMetrics(this.registry, () => this.alerts);
    this.api = new ServeApi(this.history, options.intervalSeconds, DEFAULT_THRESHOLDS);
  }

  /** The alerts under way (pending and firing), most severe first. */
  activeAlerts(): AlertEpisode[] {
    return this.alerts.active();
  }

  /**
   * The daemon's base URL for alerts' externalURL and generatorURL: as bound, with the node's name
   * for a wildcard address (a receiver elsewhere cannot follow 0.0.0.0); '' for --textfile.
   */
  private externalURL(): string {
    if (!('listen' in this.options.output)) return '';
    const { host, port } = this.options.output.listen;
    const address = this.server?.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    const name = host === '0.0.0.0' || host === '::' ? hostname() : host.includes(':') ? `[${host}]` : host;
    const scheme = this.options.output.security?.tls ? 'https' : 'http';
    return `${scheme}://${name}:${boundPort}`;
  }

  /** The latest findings of each namespace the analysis worker read (none with --analyze-interval 0). */
  findings(): ReadonlyMap<number, NamespaceFindings> {
    return this.analyzer?.findings() ?? new Map();
  }

  /** Takes one sample and makes it the one /metrics (or the textfile) shows. */
  async sampleOnce(): Promise<void> {
    const previous = this.lastSample;
    this.tableFull?.beforeSample();
    const sample = await this.sampler.take();
    this.tableFull?.afterSample(sample);
    await this.watchDrift(sample);
    this.verdicts = namespaceVerdicts(previous, sample);
    this.history.push(historyPointOf(sample));
    this.lastSample = sample;
    if (previous && this.options.relief) await this.relieve(previous, sample);
    this.analyzer?.afterSample(sample, (inode) => this.sampler.sampledTargets().get(inode));
    this.latest = this.folder.fold(sample);
    this.alerts.observe(sample);
    this.body = Buffer.from(await renderExposition(this.registry));
    this.api.update(sample, previous, [...this.findings().values()]);
    this.logOutcomes(sample);
    if ('textfileDir' in this.options.output) {
      await writeFileAtomic(join(this.options.output.textfileDir, TEXTFILE_NAME), this.body);
    }
  }

  /** Calls `listener` with every relief applied, and every refusal or skip the log tells (e.g. for alerts). */
  onRelief(listener: (event: ReliefEvent) => void): void {
    this.reliefListeners.push(listener);
  }

  /** Before the exposition is built, so the sample's /metrics already counts its relief. */
  private async relieve(previous: ServeSample, sample: ServeSample): Promise<void> {
    const event = await this.options.relief!.afterSample(previous, sample);
    if (!event) return;
    for (const listener of this.reliefListeners) {
      try {
        listener(event);
      } catch (error) {
        // A failing sink (an alert) must not stop the sampling, nor the other listeners.
        this.options.log(`relief listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** Compares the sample's settings with the previous reading; each change is logged. */
  private async watchDrift(sample: ServeSample): Promise<void> {
    const targets = [...this.sampler.sampledTargets().values()];
    const own = targets.find((target) => target.isSelf);
    if (!own) return;
    const { roots } = this.options.source;
    const others = targets.filter((target) => !target.isSelf).map((target) => netnsFiles(target, roots));
    const { events, outcome } = await this.drift.check(sample, netnsFiles(own, roots), others);
    sample.drift = events;
    sample.collectors.push(outcome);
    for (const event of events)
      this.options.log(
        driftLogLine(event, sample.namespaces.find((reading) => reading.inode === event.netns)?.name),
      );
  }

  /** The first sample, then the listener (a scrape never sees an empty registry), then the loop. */
  async start(): Promise<void> {
    await this.options.relief?.checkAccess();
    await this.sampleOnce();
    const { output } = this.options;
    if ('listen' in output) {
      const routes = new Map([
        ['/metrics', { reply: () => ({ contentType: this.registry.contentType, body: this.body }) }],
        ...this.api.routes(),
        ...(await dashboardRoutes()),
      ]);
      this.server = await startHttpServer(routes, output.listen, output.security);
    }
    this.schedule();
  }

  /**
   * The next sample starts an interval after the previous one ended: a slow sample (a loaded node)
   * delays the next instead of piling samples up.
   */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sampleOnce()
        .catch((error: unknown) =>
          this.options.log(`sample failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => this.schedule());
    }, this.options.intervalSeconds * 1000);
  }

  /** Where the server listens, as bound (the port the kernel picked for `:0`); undefined for --textfile. */
  listeningOn(): string | undefined {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') return address ?? undefined;
    return address.family === 'IPv6'
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }

  /** Stops sampling and serving, and kills the namespace holders (none may keep a namespace alive). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.sampler.close();
    this.alerts.close();
    this.tableFull?.close();
    await this.analyzer?.stop();
    if (this.server) await stopHttpServer(this.server);
  }
}
