import type { LatencyHistogram } from './latencyHistogram.js';
import type { GeneratorKind } from './labScenarios.js';

/**
 * What a lab generator prints, one JSON object per line: `ready` once its servers listen, a `tick`
 * every second (counts of that second), `done` at the end (also when stopped early by SIGTERM).
 */
export type GeneratorMessage =
  | { type: 'ready' }
  | { type: 'tick'; second: number; attempts: number; ok: number; failed: number }
  | GeneratorDone;

export interface GeneratorDone {
  type: 'done';
  kind: GeneratorKind;
  seconds: number;
  /** Flows started (a connect, a query, a datagram, a SYN). */
  attempts: number;
  /** Flows that got what they asked for: connected, answered. Datagrams and SYNs nobody answers: sent. */
  ok: number;
  /** Connects that timed out or were refused, queries unanswered, sends the kernel refused (EPERM). */
  failed: number;
  /** errno code → times, for the failures. */
  errors: Record<string, number>;
  /** Set-up time of each successful flow: connect, or query to answer. */
  latency: LatencyHistogram;
  pool?: PoolOutcome;
}

export interface PoolOutcome {
  wanted: number;
  /** Connections open at the end whose last ping was answered. */
  survived: number;
  /** Connect attempts that failed (each is retried until the end). */
  failedConnects: number;
  /** Open connections that stopped answering or were reset. */
  lost: number;
}

/** The line's message, or null for anything else a child prints. */
export function parseGeneratorLine(line: string): GeneratorMessage | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as { type?: unknown };
    return value.type === 'ready' || value.type === 'tick' || value.type === 'done'
      ? (value as GeneratorMessage)
      : null;
  } catch {
    return null;
  }
}
