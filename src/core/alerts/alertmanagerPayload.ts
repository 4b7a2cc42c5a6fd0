import { annotationsOf } from './alertAnnotations.js';
import type { AlertNotification } from './alertEpisodes.js';

/**
 * The body Alertmanager POSTs to a webhook receiver (`notify/webhook/webhook.go` Message: the
 * `template.Data` of `template/template.go` plus version "4", groupKey and truncatedAlerts), so a
 * receiver written for Alertmanager takes ctdoctor's notifications unchanged.
 */
export interface AlertmanagerWebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
}

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Go's zero time.Time as encoding/json writes it: what Alertmanager sends as a firing alert's endsAt. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** Where the notification comes from: the node's name and the daemon's address. */
export interface PayloadContext {
  /** The `instance` label: the node's hostname, as a node_exporter target is known by its host. */
  instance: string;
  /** The daemon's base URL (Alertmanager's --web.external-url), '' when it does not listen; generatorURL points at its dashboard. */
  externalURL: string;
  receiver: string;
}

/** Labels each alert carries: its rule, severity, namespace (inode and name when known) and node. */
export function alertLabels(notification: AlertNotification, instance: string): Record<string, string> {
  const { episode } = notification;
  return {
    alertname: episode.alertname,
    severity: episode.severity,
    netns: String(episode.evidence.inode),
    ...(episode.evidence.name !== undefined ? { netns_name: episode.evidence.name } : {}),
    instance,
  };
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
/** A byte that never occurs in UTF-8 (prometheus/common model.SeparatorByte). */
const SEPARATOR = 0xff;

/**
 * An alert's fingerprint as Alertmanager computes it (prometheus/common `model/signature.go`
 * labelSetToFingerprint): FNV-1a 64 over each label name and value in name order, each followed by
 * 0xff, printed as 16 hex digits. Receivers de-duplicate on it.
 */
export function alertFingerprint(labels: Readonly<Record<string, string>>): string {
  const encoder = new TextEncoder();
  let hash = FNV64_OFFSET;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name]!]) {
      for (const byte of encoder.encode(part)) add(byte);
      add(SEPARATOR);
    }
  }
  return hash.toString(16).padStart(16, '0');
}

/** `{alertname="X", instance="h"}`: model.LabelSet.String(), the second half of a groupKey. */
function labelSetString(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{${pairs.join(', ')}}`;
}

/**
 * The webhook body of one notification. Each alert transition is its own group, as Alertmanager
 * with `group_by: [alertname, instance, netns]` sends it: a receiver sees one firing and one
 * resolved message per episode, and the groupKey tells nodes and namespaces apart.
 */
export function alertmanagerPayload(
  notification: AlertNotification,
  context: PayloadContext,
): AlertmanagerWebhookPayload {
  const labels = alertLabels(notification, context.instance);
  const annotations = { ...annotationsOf(notification) };
  const groupLabels = { alertname: labels.alertname!, instance: labels.instance!, netns: labels.netns! };
  return {
    version: '4',
    // "{}" is the root route's key (dispatch's routeKey), as in a config with no sub-routes.
    groupKey: `{}:${labelSetString(groupLabels)}`,
    truncatedAlerts: 0,
    receiver: context.receiver,
    status: notification.status,
    alerts: [
      {
        status: notification.status,
        labels,
        annotations,
        startsAt: new Date(notification.episode.startsAtMs).toISOString(),
        endsAt: notification.status === 'resolved' ? new Date(notification.atMs).toISOString() : GO_ZERO_TIME,
        generatorURL: context.externalURL === '' ? '' : `${context.externalURL}/`,
        fingerprint: alertFingerprint(labels),
      },
    ],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: context.externalURL,
  };
}
