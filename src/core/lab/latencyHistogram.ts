/**
 * Connection set-up times as a log-bucketed histogram: each bucket 5 % wider than the last from
 * 0.01 ms, so a percentile is within 5 % at any scale, a run of millions of connects costs a few
 * hundred counters, and generators' histograms add up (a quantile of merged samples, not a mean of
 * quantiles).
 */
const FIRST_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);

/** Bucket index → samples, as a plain object so it crosses a process boundary as JSON. */
export type LatencyHistogram = Record<string, number>;

export function bucketOf(milliseconds: number): number {
  return milliseconds <= FIRST_MS ? 0 : Math.ceil(Math.log(milliseconds / FIRST_MS) / LOG_GROWTH);
}

/** The upper edge of a bucket: a quantile reads high by at most one bucket (5 %). */
export function bucketUpperMs(bucket: number): number {
  return FIRST_MS * GROWTH ** bucket;
}

export function recordLatency(histogram: LatencyHistogram, milliseconds: number): void {
  const key = String(bucketOf(milliseconds));
  histogram[key] = (histogram[key] ?? 0) + 1;
}

export function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const merged: LatencyHistogram = {};
  for (const histogram of histograms)
    for (const [key, count] of Object.entries(histogram)) merged[key] = (merged[key] ?? 0) + count;
  return merged;
}

export function sampleCount(histogram: LatencyHistogram): number {
  return Object.values(histogram).reduce((sum, count) => sum + count, 0);
}

/** The q-quantile (0.5, 0.99) in ms; null without samples. */
export function quantileMs(histogram: LatencyHistogram, q: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([key, count]) => [Number(key), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucketUpperMs(bucket);
  }
  return bucketUpperMs(buckets[buckets.length - 1]![0]);
}
