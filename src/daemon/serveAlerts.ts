import type { AlertEpisode, AlertNotification } from '../core/alerts/alertEpisodes.js';
import { AlertEpisodes } from '../core/alerts/alertEpisodes.js';
import { type AlertPolicy, DEFAULT_ALERT_POLICY } from '../core/alerts/alertRules.js';
import { type AlertmanagerWebhookPayload, alertmanagerPayload } from '../core/alerts/alertmanagerPayload.js';
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff } from '../core/alerts/retryBackoff.js';
import { type DeliveryOutcome, NotificationQueue, type QueueResult } from '../host/notificationQueue.js';
import { type SyslogTarget, sendToSyslog } from '../host/syslogMessage.js';
import { postWebhook } from '../host/webhookPost.js';
import { type AlertLogFields, alertLogfmtLine } from '../render/alertLogfmt.js';
import type { ServeSample } from './serveSample.js';

export type AlertLogSink = 'stdout' | 'syslog';
export type AlertSinkName = 'webhook' | AlertLogSink;

export interface ServeAlertsOptions {
  policy: AlertPolicy;
  webhooks: readonly string[];
  logs: readonly AlertLogSink[];
  syslog: SyslogTarget;
  webhookTimeoutSeconds: number;
  /** Notifications each sink keeps waiting while it cannot deliver; the oldest is dropped beyond. */
  queueCapacity: number;
  backoff: RetryBackoff;
  /** The `instance` label: the node's hostname. */
  instance: string;
}

/** Alertmanager's own webhook default is no timeout at all; a hung receiver would hold its queue forever. */
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10;
/** A day of one notification every 90 s per sink: far more than episodes produce, and small in memory. */
export const DEFAULT_ALERT_QUEUE = 1000;

/** No sink: alerts are still evaluated (the firing gauge, the dashboard), only nothing is sent. */
export function alertsWithoutSinks(instance: string): ServeAlertsOptions {
  return {
    policy: DEFAULT_ALERT_POLICY,
    webhooks: [],
    logs: [],
    syslog: { server: undefined },
    webhookTimeoutSeconds: DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
    queueCapacity: DEFAULT_ALERT_QUEUE,
    backoff: DEFAULT_RETRY_BACKOFF,
    instance,
  };
}

/** syslog severities (RFC 5424): a critical alert is `crit`, a warning `warning`, an end `notice`. */
function syslogPriority(notification: AlertNotification): string {
  if (notification.status === 'resolved') return 'daemon.notice';
  return notification.episode.severity === 'critical' ? 'daemon.crit' : 'daemon.warning';
}

function logFields(payload: AlertmanagerWebhookPayload, ts: string | undefined): AlertLogFields {
  const alert = payload.alerts[0]!;
  return {
    ...(ts !== undefined ? { ts } : {}),
    status: alert.status,
    alertname: alert.labels.alertname!,
    severity: alert.labels.severity!,
    netns: alert.labels.netns!,
    summary: alert.annotations.summary!,
  };
}

interface Sink {
  name: AlertSinkName;
  send: (notification: AlertNotification, payload: AlertmanagerWebhookPayload) => void;
  /** Stops a queued sink's deliveries (stdout has none). */
  close?: () => void;
}

/**
 * serve's alerts: the rules applied to each sample (src/core/alerts), each notification built once
 * as Alertmanager's webhook payload and handed to every sink. observe() never waits on a sink.
 */
export class ServeAlerts {
  private readonly episodes: AlertEpisodes;
  private readonly sinks: Sink[];
  private readonly tally = new Map<string, number>();

  constructor(
    private readonly options: ServeAlertsOptions,
    private readonly context: {
      externalURL: () => string;
      userAgent: string;
      log: (line: string) => void;
      writeStdout: (line: string) => void;
    },
  ) {
    this.episodes = new AlertEpisodes(options.policy);
    this.sinks = [
      ...options.webhooks.map((url) => this.webhookSink(url)),
      ...options.logs.map((sink) => (sink === 'stdout' ? this.stdoutSink() : this.syslogSink())),
    ];
    for (const sink of new Set(this.sinks.map((s) => s.name)))
      for (const result of ['sent', 'failed', 'dropped'] as const) this.tally.set(`${sink}\0${result}`, 0);
  }

  /** Applies the rules to the sample and hands its notifications to the sinks. */
  observe(sample: ServeSample): void {
    for (const notification of this.episodes.observe(sample)) {
      const payload = alertmanagerPayload(notification, {
        instance: this.options.instance,
        externalURL: this.context.externalURL(),
        receiver: 'ctdoctor',
      });
      for (const sink of this.sinks) sink.send(notification, payload);
    }
  }

  /** The alerts under way, pending and firing, most severe first (for the dashboard and the API). */
  active(): AlertEpisode[] {
    return this.episodes.active();
  }

  /** Notifications per sink and result so far: `ctdoctor_alert_notifications_total`. */
  notificationCounts(): { sink: string; result: string; count: number }[] {
    return [...this.tally].map(([key, count]) => {
      const [sink, result] = key.split('\0') as [string, string];
      return { sink, result, count };
    });
  }

  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }

  private count(sink: AlertSinkName, result: QueueResult): void {
    const key = `${sink}\0${result}`;
    this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
  }

  private queued<T>(
    name: AlertSinkName,
    what: string,
    deliver: (item: T) => Promise<DeliveryOutcome>,
    backoff: RetryBackoff,
  ): NotificationQueue<T> {
    return new NotificationQueue<T>({
      deliver,
      capacity: this.options.queueCapacity,
      backoff,
      settled: (result, reason) => {
        this.count(name, result);
        if (result !== 'sent') this.context.log(`alert ${what}: ${result}: ${reason ?? 'no reason given'}`);
      },
    });
  }

  private webhookSink(url: string): Sink {
    const timeoutMs = this.options.webhookTimeoutSeconds * 1000;
    const queue = this.queued<string>(
      'webhook',
      `webhook ${new URL(url).origin}`,
      (body) => postWebhook(url, body, { timeoutMs, userAgent: this.context.userAgent }),
      this.options.backoff,
    );
    return {
      name: 'webhook',
      close: () => queue.close(),
      send: (_, payload) => queue.push(JSON.stringify(payload)),
    };
  }

  /** A failed logger is not retried: the next notification tries again, and the failure is counted. */
  private syslogSink(): Sink {
    const queue = this.queued<{ message: string; priority: string }>(
      'syslog',
      'syslog',
      ({ message, priority }) => sendToSyslog(message, priority, this.options.syslog),
      { ...this.options.backoff, maxAttempts: 1 },
    );
    return {
      name: 'syslog',
      close: () => queue.close(),
      send: (notification, payload) =>
        queue.push({
          message: alertLogfmtLine(logFields(payload, undefined)),
          priority: syslogPriority(notification),
        }),
    };
  }

  private stdoutSink(): Sink {
    return {
      name: 'stdout',
      send: (notification, payload) => {
        this.context.writeStdout(
          `${alertLogfmtLine(logFields(payload, new Date(notification.atMs).toISOString()))}\n`,
        );
        this.count('stdout', 'sent');
      },
    };
  }
}
