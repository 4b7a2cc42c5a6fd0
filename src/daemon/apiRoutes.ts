import type { StatusThresholds } from '../core/status.js';
import { DRIFT_EVENTS_KEPT, serveDriftBody } from './apiDrift.js';
import { serveFindingsBody } from './apiFindings.js';
import { parseHistoryQuery, serveHistoryBody } from './apiHistory.js';
import { serveStatusBody } from './apiStatus.js';
import type { HistoryPoint } from './historyPoint.js';
import { HistoryRing } from './historyRing.js';
import type { Reply, Route } from './httpServer.js';
import type { NamespaceFindings } from './namespaceFindings.js';
import type { DriftEvent, ServeSample } from './serveSample.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A sampler that has not finished a sample for this many intervals (plus the slack below) is stuck:
 * /healthz says so, and a liveness probe restarts the daemon.
 */
const STALE_AFTER_INTERVALS = 3;
/** A sample of 500 namespaces on a loaded node takes seconds; it is not stuck for that. */
const STALE_SLACK_MS = 30_000;

function json(body: unknown): Reply {
  return { contentType: JSON_TYPE, body: Buffer.from(JSON.stringify(body)) };
}

/**
 * The JSON API over the daemon's history: each body is serialised once per sample (a poll every
 * interval from each open dashboard costs a write, not a walk of the history), except a narrowed
 * /api/history, which is built for the query it answers.
 */
export class ServeApi {
  private readonly drift = new HistoryRing<DriftEvent>(DRIFT_EVENTS_KEPT);
  private status: Reply = json(null);
  private findings: Reply = json(serveFindingsBody([]));
  private driftReply: Reply = json(serveDriftBody([]));
  /** The whole history's body, built on the first request after a sample (most samples have none). */
  private fullHistory: Reply | undefined;

  constructor(
    private readonly history: HistoryRing<HistoryPoint>,
    private readonly intervalSeconds: number,
    private readonly thresholds: StatusThresholds,
  ) {}

  /**
   * After `sample` was pushed onto the history; `previous` is the sample before it, whole (the ring
   * keeps less of it), which /api/status takes its rates since.
   */
  update(
    sample: ServeSample,
    previous: ServeSample | undefined,
    findings: readonly NamespaceFindings[],
  ): void {
    this.status = json(serveStatusBody(sample, previous, this.intervalSeconds, this.thresholds));
    this.findings = json(serveFindingsBody(findings));
    if (sample.drift.length > 0) {
      for (const event of sample.drift) this.drift.push(event);
      this.driftReply = json(serveDriftBody(this.drift.toArray()));
    }
    this.fullHistory = undefined;
  }

  private historyReply(query: URLSearchParams): Reply {
    const parsed = parseHistoryQuery(query);
    const build = () => json(serveHistoryBody(this.history.toArray(), parsed, this.intervalSeconds));
    if (parsed.netns !== undefined || parsed.seconds !== undefined) return build();
    this.fullHistory ??= build();
    return this.fullHistory;
  }

  private health(): Reply {
    const latest = this.history.latest();
    const ageMs = latest === undefined ? Number.POSITIVE_INFINITY : Date.now() - latest.takenAtMs;
    const stale = ageMs > STALE_AFTER_INTERVALS * this.intervalSeconds * 1000 + STALE_SLACK_MS;
    return {
      status: stale ? 503 : 200,
      contentType: 'text/plain; charset=utf-8',
      body: Buffer.from(stale ? `stale: the latest sample is ${Math.round(ageMs / 1000)} s old\n` : 'ok\n'),
    };
  }

  routes(): Map<string, Route> {
    return new Map<string, Route>([
      ['/api/status', { reply: () => this.status }],
      ['/api/history', { reply: (query) => this.historyReply(query) }],
      ['/api/findings', { reply: () => this.findings }],
      ['/api/drift', { reply: () => this.driftReply }],
      // Open: a kubelet's probe carries no token, and "ok" tells nothing about the node.
      ['/healthz', { reply: () => this.health(), open: true }],
    ]);
  }
}
