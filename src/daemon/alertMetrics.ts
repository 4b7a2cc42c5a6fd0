import { Counter, Gauge, type Registry } from 'prom-client';
import { ALERT_RULES } from '../core/alerts/alertRules.js';
import type { ServeAlerts } from './serveAlerts.js';

/**
 * The alerts' own metrics, read from the daemon's alerts when the exposition is built (once per
 * sample). Every rule has its firing series, at 0 when quiet: a series that appears only when
 * something fires cannot be told apart from a daemon that stopped evaluating.
 */
export function addAlertMetrics(registry: Registry, alerts: () => ServeAlerts): void {
  const registers = [registry];
  new Gauge({
    name: 'ctdoctor_alerts_firing',
    help: "Alerts of this rule firing now, one per namespace (serve's own alerts, as its webhook and logs send them).",
    labelNames: ['alertname', 'severity'],
    registers,
    collect() {
      this.reset();
      const active = alerts().active();
      for (const rule of ALERT_RULES) {
        const firing = active.filter((a) => a.alertname === rule.alertname && a.state === 'firing').length;
        this.set({ alertname: rule.alertname, severity: rule.severity }, firing);
      }
    },
  });
  new Counter({
    name: 'ctdoctor_alert_notifications_total',
    help: 'Alert notifications by sink (webhook, stdout, syslog) and how they ended: sent, failed (given up after retries, or refused), dropped (the queue was full).',
    labelNames: ['sink', 'result'],
    registers,
    collect() {
      this.reset();
      for (const { sink, result, count } of alerts().notificationCounts()) this.inc({ sink, result }, count);
    },
  });
}
