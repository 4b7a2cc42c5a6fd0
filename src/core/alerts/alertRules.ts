import { lossTotal } from '../lossWindow.js';
import type { NamespaceEvidence } from './namespaceEvidence.js';

/**
 * The thresholds and durations of the alert table (deploy/'s Prometheus rules use the same), each
 * an option of `serve`. A hold-down is how long a condition must stay false before its alert
 * resolves, counted from the last sample where it held: a table that fills and drains every few
 * seconds stays one episode instead of paging at each refill.
 */
export interface AlertPolicy {
  nearlyFullRatio: number;
  fullRatio: number;
  nearlyFullForSeconds: number;
  fullForSeconds: number;
  /** Loss, table-full messages and saturation: "no rise (or below the threshold) for 5 min". */
  holdDownSeconds: number;
  /** A drift alert ends this long after the last change. */
  driftHoldDownSeconds: number;
}

/**
 * 0.75 is node-mixin's NodeHighNumberConntrackEntriesUsed and 0.95 GitLab's soft saturation SLO for
 * nf_conntrack_entries (ANCHORS-WAVE2 §2); node-mixin has no `for:`, which pages on one busy scrape,
 * so the warning waits 5 min and the critical 1 min.
 */
export const DEFAULT_ALERT_POLICY: Readonly<AlertPolicy> = {
  nearlyFullRatio: 0.75,
  fullRatio: 0.95,
  nearlyFullForSeconds: 300,
  fullForSeconds: 60,
  holdDownSeconds: 300,
  driftHoldDownSeconds: 900,
};

export type AlertSeverity = 'critical' | 'warning';

export interface AlertRule {
  alertname: string;
  severity: AlertSeverity;
  forSeconds: (policy: AlertPolicy) => number;
  holdDownSeconds: (policy: AlertPolicy) => number;
  /** Whether the namespace shows the condition at this sample. */
  holds: (evidence: NamespaceEvidence, policy: AlertPolicy) => boolean;
}

const immediately = () => 0;
const holdDown = (policy: AlertPolicy) => policy.holdDownSeconds;

/**
 * Every alert `serve` raises, per namespace. The loss rules compare each sample with the previous
 * one (every --interval, 5 s by default): finer than the 1 min window Prometheus's increase() needs
 * two scrapes for, and with `for: 0` the window changes nothing else.
 */
export const ALERT_RULES: readonly AlertRule[] = [
  {
    alertname: 'ConntrackPacketsDropped',
    severity: 'critical',
    forSeconds: immediately,
    holdDownSeconds: holdDown,
    holds: (evidence) => evidence.loss !== undefined && lossTotal({ deltas: evidence.loss }) > 0,
  },
  {
    alertname: 'ConntrackTableFullLogged',
    severity: 'critical',
    forSeconds: immediately,
    holdDownSeconds: holdDown,
    holds: (evidence) => evidence.tableFullMessages > 0,
  },
  {
    alertname: 'ConntrackTableNearlyFull',
    severity: 'warning',
    forSeconds: (policy) => policy.nearlyFullForSeconds,
    holdDownSeconds: holdDown,
    holds: (evidence, policy) => evidence.usage !== undefined && evidence.usage >= policy.nearlyFullRatio,
  },
  {
    alertname: 'ConntrackTableFull',
    severity: 'critical',
    forSeconds: (policy) => policy.fullForSeconds,
    holdDownSeconds: holdDown,
    holds: (evidence, policy) => evidence.usage !== undefined && evidence.usage >= policy.fullRatio,
  },
  {
    alertname: 'ConntrackSettingChanged',
    severity: 'warning',
    forSeconds: immediately,
    holdDownSeconds: (policy) => policy.driftHoldDownSeconds,
    holds: (evidence) => evidence.drift.length > 0,
  },
  {
    // The relief changed the system while nobody watched: someone should look, and decide whether
    // to keep it (persist) or undo it (rollback), and why the table filled.
    alertname: 'ConntrackAutoRelieved',
    severity: 'warning',
    forSeconds: immediately,
    holdDownSeconds: (policy) => policy.driftHoldDownSeconds,
    holds: (evidence) => evidence.reliefs.length > 0,
  },
];
