import type { Finding } from '../../analysis/findings.js';
import {
  SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS,
  entriesIdleLongerThan,
} from '../../analysis/establishedIdle.js';
import type { EstablishedPair } from '../../analysis/tableSummary.js';
import { IDLE_LONG_SECONDS } from '../../analysis/tableAggregator.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';
import { severityFor, severityText } from './tableSeverity.js';

/**
 * Decided by idleness and share (the lab's aged pool, test/fixtures/tables/pool.*: 300 held
 * connections silent for hours; busy-client-fresh: as many, all active). A pair's share alone is
 * how busy a client is; only entries silent for hours are held open for nothing.
 */
export const ESTABLISHED_LEAK_THRESHOLDS = {
  /** Share of the table one client → server:port pair holds. */
  minShare: 0.05,
  /** Share of its entries silent for IDLE_LONG_SECONDS or more (idle = timeout − remaining). */
  minIdleLongRatio: 0.5,
} as const;

const t = ESTABLISHED_LEAK_THRESHOLDS;
const idleHours = IDLE_LONG_SECONDS / 3600;
const share = `one client → server:port pair holds ≥ ${asPercent(t.minShare)} of the table (and ≥ ${MIN_ENTRIES}) in ESTABLISHED`;
const PAIR = '<client> -> <server>:<port>';
const LIST = 'conntrack -L -p tcp --state ESTABLISHED -s <client> -d <server> --dport <port>';

export const ESTABLISHED_LEAK: FindingKind = {
  id: 'established-leak',
  report: 'analyze',
  subject: PAIR,
  when: `${share}, ≥ ${asPercent(t.minIdleLongRatio)} of them silent for ${idleHours} h or more`,
  severity: severityText('warn'),
  evidence: [
    'entries',
    'shareOfTable',
    'idleLong',
    'meanIdleSeconds',
    'minIdleSeconds',
    'establishedTimeoutSeconds',
    `freedByTimeout${SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS}`,
  ],
  advice: `The client holds ESTABLISHED connections to one service that have been silent for hours (a pool that never closes idle connections, or leaked sockets); fix the pool size/idle timeout in the client. A ${SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS / 3600} h nf_conntrack_tcp_timeout_established (kube-proxy's choice) would free the idle entries counted table-wide; check long-lived SSH/DB sessions first.`,
  commands: [
    `ctdoctor timeouts --set tcp_timeout_established=${SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS}`,
    LIST,
  ],
};

/**
 * The same share with fresh timers is a heavy user, not a leak: reported (info, never paging) since
 * "who holds the table" is the first question when it fills, with nothing to fix in the client.
 */
export const BUSY_CLIENT: FindingKind = {
  id: 'busy-client',
  report: 'analyze',
  subject: PAIR,
  when: `${share}, fewer than ${asPercent(t.minIdleLongRatio)} of them silent for ${idleHours} h`,
  severity: 'info',
  evidence: ['entries', 'shareOfTable', 'idleLong', 'meanIdleSeconds', 'minIdleSeconds'],
  advice:
    'A heavy user, not a leak: the client keeps many ESTABLISHED connections to one service and uses them (their timers are fresh). Nothing to fix in the client; if the table is short of room, size it for this load.',
  commands: ['ctdoctor mitigate', LIST],
};

function idleEvidence(readings: TableReadings, pair: EstablishedPair): Finding['evidence'] {
  return {
    entries: pair.entries,
    shareOfTable: percent(pair.entries, readings.summary.entries),
    idleLong: pair.idleLong,
    meanIdleSeconds: pair.meanIdleSeconds,
    minIdleSeconds: pair.minIdleSeconds,
  };
}

function leakFinding(readings: TableReadings, pair: EstablishedPair, subject: string, list: string): Finding {
  const { summary, context } = readings;
  // The timeout the idle times were measured against: the live one on a live table.
  const established = summary.signals.establishedTimeoutSeconds;
  const suggested = SUGGESTED_ESTABLISHED_TIMEOUT_SECONDS;
  const freed = entriesIdleLongerThan(summary.signals.establishedRemainingHours, established, suggested);
  return {
    kind: ESTABLISHED_LEAK.id,
    severity: severityFor(pair.entries / summary.entries, context, summary.entries, 'warn'),
    subject,
    evidence: {
      ...idleEvidence(readings, pair),
      establishedTimeoutSeconds: established,
      [`freedByTimeout${suggested}`]: freed,
    },
    advice: `${pair.client} holds ${pair.entries} ESTABLISHED connections to ${pair.server}:${pair.port}, ${pair.idleLong} of them silent for ${idleHours} h or more (mean idle ${pair.meanIdleSeconds} s, the most recent ${pair.minIdleSeconds} s ago): a pool that never closes idle connections, or leaked sockets; fix the pool size/idle timeout in the client. A ${suggested / 3600} h nf_conntrack_tcp_timeout_established (kube-proxy's choice) would free ~${freed} idle entries table-wide now; check long-lived SSH/DB sessions first.`,
    commands: [`ctdoctor timeouts --set tcp_timeout_established=${suggested}`, list],
  };
}

function busyClientFinding(
  readings: TableReadings,
  pair: EstablishedPair,
  subject: string,
  list: string,
): Finding {
  return {
    kind: BUSY_CLIENT.id,
    severity: 'info',
    subject,
    evidence: idleEvidence(readings, pair),
    advice: `A heavy user, not a leak: ${pair.client} keeps ${pair.entries} ESTABLISHED connections to ${pair.server}:${pair.port} and uses them (mean idle ${pair.meanIdleSeconds} s; ${pair.idleLong} silent for ${idleHours} h). Nothing to fix in the client; if the table is short of room, size it for this load.`,
    commands: ['ctdoctor mitigate', list],
  };
}

function detectEstablishedLeak(readings: TableReadings): Finding[] {
  return readings.summary.signals.establishedPairs
    .filter((pair) => enoughEntries(readings, pair.entries, t.minShare))
    .map((pair) => {
      const subject = `${pair.client} -> ${pair.server}:${pair.port}`;
      const list = `conntrack -L -p tcp --state ESTABLISHED -s ${pair.client} -d ${pair.server} --dport ${pair.port}`;
      return pair.idleLong >= t.minIdleLongRatio * pair.entries
        ? leakFinding(readings, pair, subject, list)
        : busyClientFinding(readings, pair, subject, list);
    });
}

export const establishedLeakRule: TableRule = {
  kinds: [ESTABLISHED_LEAK, BUSY_CLIENT],
  detect: detectEstablishedLeak,
};
