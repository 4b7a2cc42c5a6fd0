import type { Finding } from '../../analysis/findings.js';
import {
  SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS,
  entriesIdleLongerThan,
} from '../../analysis/establishedIdle.js';
import { LONG_REMAINING_SECONDS } from '../../analysis/tableAggregator.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import {
  type TableReadings,
  type TableRule,
  MIN_ENTRIES,
  enoughEntries,
  percent,
  timeoutSeconds,
} from './tableReadings.js';
import { severityFor, severityText } from './tableSeverity.js';

/**
 * Heuristics from the lab's pool scenario (300 held connections, test/fixtures/tables/pool.*); the
 * healthy fixture spreads the same pool over 50 clients and must not fire.
 */
export const ESTABLISHED_LEAK_THRESHOLDS = {
  /** Share of the table one client → server:port pair holds. */
  minShare: 0.05,
  /** Share of its entries with more than LONG_REMAINING_SECONDS left (idle, held open). */
  minLongLivedRatio: 0.5,
} as const;

const t = ESTABLISHED_LEAK_THRESHOLDS;

export const ESTABLISHED_LEAK: FindingKind = {
  id: 'established-leak',
  report: 'analyze',
  subject: '<client> -> <server>:<port>',
  when: `one client → server:port pair holds ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}) in ESTABLISHED, ≥ ${asPercent(t.minLongLivedRatio)} of them with more than ${LONG_REMAINING_SECONDS} s left`,
  severity: severityText('warn'),
  evidence: [
    'entries',
    'shareOfTable',
    'longLived',
    'meanRemainingSeconds',
    'establishedTimeoutSeconds',
    `freedByTimeout${SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS}`,
  ],
  advice: `The client holds ESTABLISHED connections to one service (a pool that never closes, or leaked sockets); fix the pool size/idle timeout in the client. A ${SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS / 3600} h nf_conntrack_tcp_timeout_established (kube-proxy's choice) would free the idle entries counted table-wide; check long-lived SSH/DB sessions first.`,
  commands: [
    `ctdoctor timeouts --set tcp_timeout_established=${SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS}`,
    'conntrack -L -p tcp --state ESTABLISHED -s <client> -d <server> --dport <port>',
  ],
};

function detectEstablishedLeak(readings: TableReadings): Finding[] {
  const { summary, context } = readings;
  const total = summary.entries;
  const established = timeoutSeconds(readings, 'tcp_timeout_established');
  const suggested = SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS;
  const findings: Finding[] = [];
  for (const pair of summary.signals.establishedPairs) {
    if (!enoughEntries(readings, pair.entries, t.minShare)) continue;
    if (pair.longLived < t.minLongLivedRatio * pair.entries) continue;
    const subject = `${pair.client} -> ${pair.server}:${pair.port}`;
    const freed = entriesIdleLongerThan(summary.signals.establishedRemainingHours, established, suggested);
    findings.push({
      kind: ESTABLISHED_LEAK.id,
      severity: severityFor(pair.entries / total, context, total, 'warn'),
      subject,
      evidence: {
        entries: pair.entries,
        shareOfTable: percent(pair.entries, total),
        longLived: pair.longLived,
        meanRemainingSeconds: pair.meanRemainingSeconds,
        establishedTimeoutSeconds: established,
        [`freedByTimeout${suggested}`]: freed,
      },
      advice: `${pair.client} holds ${pair.entries} ESTABLISHED connections to ${pair.server}:${pair.port} (a pool that never closes, or leaked sockets); fix the pool size/idle timeout in the client. A ${suggested / 3600} h nf_conntrack_tcp_timeout_established (kube-proxy's choice) would free ~${freed} idle entries table-wide now; check long-lived SSH/DB sessions first.`,
      commands: [
        `ctdoctor timeouts --set tcp_timeout_established=${suggested}`,
        `conntrack -L -p tcp --state ESTABLISHED -s ${pair.client} -d ${pair.server} --dport ${pair.port}`,
      ],
    });
  }
  return findings;
}

export const establishedLeakRule: TableRule = { kinds: [ESTABLISHED_LEAK], detect: detectEstablishedLeak };
