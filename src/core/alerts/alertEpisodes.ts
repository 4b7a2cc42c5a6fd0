import { lossTotal } from '../lossWindow.js';
import {
  type AlertPolicy,
  type AlertRule,
  type AlertSeverity,
  ALERT_RULES,
  DEFAULT_ALERT_POLICY,
} from './alertRules.js';
import type { AlertDriftEvent, AlertSample } from './alertSample.js';
import { type NamespaceEvidence, evidenceOf } from './namespaceEvidence.js';

/** What an episode gathered from its first sample to now: the numbers its annotations quote. */
export interface EpisodeTotals {
  lostPackets: number;
  tableFullMessages: number;
  peakUsage: number | undefined;
  /** Settings changed by someone else during the episode, and the latest such change. */
  driftEvents: number;
  lastDrift: AlertDriftEvent | undefined;
  /** Limits `serve --auto-relief` raised during the episode, and the latest. */
  reliefs: number;
  lastRelief: AlertDriftEvent | undefined;
}

/** One alert of one namespace, from the sample its condition first held until it resolves. */
export interface AlertEpisode {
  alertname: string;
  severity: AlertSeverity;
  /** pending: the condition holds but not yet for the rule's `for`. */
  state: 'pending' | 'firing';
  /** When the condition first held (Prometheus's activeAt, which Alertmanager shows as startsAt). */
  startsAtMs: number;
  /** The last sample where the condition held: the hold-down counts from here. */
  lastHeldAtMs: number;
  holdDownSeconds: number;
  /** The namespace as the last sample that held showed it. */
  evidence: NamespaceEvidence;
  totals: EpisodeTotals;
}

export interface AlertNotification {
  status: 'firing' | 'resolved';
  atMs: number;
  episode: AlertEpisode;
  /** Why a resolved episode ended: the condition stayed false for the hold-down, or the namespace is gone. */
  ended?: 'quiet' | 'vanished';
}

function addEvidence(totals: EpisodeTotals, evidence: NamespaceEvidence): EpisodeTotals {
  return {
    lostPackets: totals.lostPackets + (evidence.loss ? lossTotal({ deltas: evidence.loss }) : 0),
    tableFullMessages: totals.tableFullMessages + evidence.tableFullMessages,
    peakUsage:
      evidence.usage === undefined ? totals.peakUsage : Math.max(totals.peakUsage ?? 0, evidence.usage),
    driftEvents: totals.driftEvents + evidence.drift.length,
    lastDrift: evidence.drift.at(-1) ?? totals.lastDrift,
    reliefs: totals.reliefs + evidence.reliefs.length,
    lastRelief: evidence.reliefs.at(-1) ?? totals.lastRelief,
  };
}

const NO_TOTALS: EpisodeTotals = {
  lostPackets: 0,
  tableFullMessages: 0,
  peakUsage: undefined,
  driftEvents: 0,
  lastDrift: undefined,
  reliefs: 0,
  lastRelief: undefined,
};

/**
 * The alert rules applied to successive samples, as episodes: an alert fires once when its
 * condition has held for the rule's `for`, stays firing without repeating while it holds or within
 * its hold-down, and resolves once. Like Prometheus, a condition that stops holding while pending
 * starts over. A namespace missing from a sample resolves its alerts at once (its series are gone;
 * an inode reused later is a new namespace).
 */
export class AlertEpisodes {
  private readonly episodes = new Map<string, AlertEpisode>();
  private previous: AlertSample | undefined;

  constructor(
    readonly policy: AlertPolicy = DEFAULT_ALERT_POLICY,
    private readonly rules: readonly AlertRule[] = ALERT_RULES,
  ) {}

  /** Applies the rules to the next sample; returns the notifications it causes (none most of the time). */
  observe(sample: AlertSample): AlertNotification[] {
    const notifications: AlertNotification[] = [];
    const present = new Set<string>();
    for (const evidence of evidenceOf(sample, this.previous)) {
      for (const rule of this.rules) {
        const key = `${rule.alertname}\0${evidence.inode}`;
        present.add(key);
        const notification = this.step(key, rule, evidence, sample.takenAtMs);
        if (notification) notifications.push(notification);
      }
    }
    for (const [key, episode] of this.episodes) {
      if (present.has(key)) continue;
      this.episodes.delete(key);
      if (episode.state === 'firing')
        notifications.push({ status: 'resolved', atMs: sample.takenAtMs, episode, ended: 'vanished' });
    }
    this.previous = sample;
    return notifications;
  }

  /** Every episode under way (pending and firing), most severe first. */
  active(): AlertEpisode[] {
    return [...this.episodes.values()].sort(
      (a, b) =>
        Number(b.state === 'firing') - Number(a.state === 'firing') ||
        Number(b.severity === 'critical') - Number(a.severity === 'critical') ||
        a.startsAtMs - b.startsAtMs,
    );
  }

  private step(
    key: string,
    rule: AlertRule,
    evidence: NamespaceEvidence,
    nowMs: number,
  ): AlertNotification | undefined {
    const holds = rule.holds(evidence, this.policy);
    const episode = this.episodes.get(key);
    if (!holds) {
      if (episode === undefined) return undefined;
      if (episode.state === 'pending') {
        this.episodes.delete(key);
        return undefined;
      }
      if (nowMs - episode.lastHeldAtMs < episode.holdDownSeconds * 1000) return undefined;
      this.episodes.delete(key);
      return { status: 'resolved', atMs: nowMs, episode, ended: 'quiet' };
    }
    const next: AlertEpisode = {
      alertname: rule.alertname,
      severity: rule.severity,
      state: episode?.state ?? 'pending',
      startsAtMs: episode?.startsAtMs ?? nowMs,
      lastHeldAtMs: nowMs,
      holdDownSeconds: rule.holdDownSeconds(this.policy),
      evidence,
      totals: addEvidence(episode?.totals ?? NO_TOTALS, evidence),
    };
    const fires = next.state === 'pending' && nowMs - next.startsAtMs >= rule.forSeconds(this.policy) * 1000;
    if (fires) next.state = 'firing';
    this.episodes.set(key, next);
    return fires ? { status: 'firing', atMs: nowMs, episode: next } : undefined;
  }
}
