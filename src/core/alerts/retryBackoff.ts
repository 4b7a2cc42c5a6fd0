/**
 * When to try a failed webhook again: exponential back-off from `initialSeconds`, doubling up to
 * `maxSeconds`, at most `maxAttempts` tries in all. A receiver that is down for a minute gets a
 * handful of requests, not one per sample, and a notification is given up (and counted) after
 * about 4 min at the defaults instead of queueing forever.
 */
export interface RetryBackoff {
  initialSeconds: number;
  maxSeconds: number;
  maxAttempts: number;
  /**
   * Each delay is scaled by a random factor in [1 − jitter, 1 + jitter]: a fleet of nodes that lost
   * the same receiver would otherwise retry in lock-step when it returns.
   */
  jitter: number;
}

export const DEFAULT_RETRY_BACKOFF: Readonly<RetryBackoff> = {
  initialSeconds: 1,
  maxSeconds: 60,
  maxAttempts: 10,
  jitter: 0.2,
};

/**
 * The wait after failed attempt number `attempt` (1 = the first try), or undefined when no try is
 * left. `random` is in [0, 1) (Math.random in the daemon, fixed in tests).
 */
export function retryDelaySeconds(
  attempt: number,
  backoff: RetryBackoff,
  random: number,
): number | undefined {
  if (attempt >= backoff.maxAttempts) return undefined;
  const base = Math.min(backoff.maxSeconds, backoff.initialSeconds * 2 ** (attempt - 1));
  return base * (1 + backoff.jitter * (2 * random - 1));
}
