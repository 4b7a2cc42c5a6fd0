/**
 * How often, by default, the drift watcher reads the conntrack timeouts (--drift-timeouts-interval).
 * Max and buckets come with every sample
 * (they are the table's size), but the timeouts are ~25 more files in ctdoctor's own namespace
 * (~4–5 ms of CPU, measured) and a forked child for another namespace's: read every sample, they
 * were most of what the watchers cost (sampler CPU 2.3–2.5 % of a core at 200 namespaces, against a
 * 2 % goal). They change seldom (kube-proxy at its start, a tuned profile, a colleague), and seeing
 * a change up to a minute late is within the `for:` of any alert on it.
 */
export const TIMEOUT_READ_INTERVAL_SECONDS = 60;

/** Which samples read the timeouts: the first (the baselines), then one in every `timeoutsIntervalSeconds`' worth. */
export class TimeoutReadSchedule {
  /** Samples from one reading to the next, at least the interval apart (12 for a minute at 5 s). */
  readonly everySamples: number;
  private samples = 0;

  constructor(sampleIntervalSeconds: number, timeoutsIntervalSeconds = TIMEOUT_READ_INTERVAL_SECONDS) {
    this.everySamples = Math.max(1, Math.ceil(timeoutsIntervalSeconds / sampleIntervalSeconds));
  }

  /** Whether the sample being checked reads the timeouts: asked once per sample. */
  next(): boolean {
    return this.samples++ % this.everySamples === 0;
  }
}
