import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type LatencyHistogram,
  bucketOf,
  bucketUpperMs,
  mergeHistograms,
  quantileMs,
  recordLatency,
  sampleCount,
} from '../../../src/core/lab/latencyHistogram.js';

/** The exact q-quantile: the sample of rank ceil(q × n), as quantileMs defines it. */
function exactQuantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

function histogramOf(samples: readonly number[]): LatencyHistogram {
  const histogram: LatencyHistogram = {};
  for (const sample of samples) recordLatency(histogram, sample);
  return histogram;
}

/** Set-up times from 0.02 ms (a loopback connect) to 5 s (SYN retries). */
const latencies = fc.array(fc.double({ min: 0.02, max: 5000, noNaN: true }), {
  minLength: 1,
  maxLength: 400,
});

describe('latency histogram', () => {
  it('a quantile reads at or above the exact one, by at most 5 % (property)', () => {
    fc.assert(
      fc.property(latencies, fc.constantFrom(0.5, 0.9, 0.99, 1), (samples, q) => {
        const exact = exactQuantile(samples, q);
        const estimate = quantileMs(histogramOf(samples), q)!;
        assert.ok(estimate >= exact * (1 - 1e-9), `${estimate} < exact ${exact}`);
        assert.ok(estimate <= exact * 1.05 * (1 + 1e-9), `${estimate} > 1.05 × exact ${exact}`);
      }),
      { numRuns: 300 },
    );
  });

  it('merging is the histogram of the union of the samples (property)', () => {
    fc.assert(
      fc.property(fc.array(latencies, { minLength: 1, maxLength: 4 }), (parts) => {
        const merged = mergeHistograms(parts.map(histogramOf));
        assert.deepEqual(merged, histogramOf(parts.flat()));
        assert.equal(sampleCount(merged), parts.flat().length);
      }),
      { numRuns: 200 },
    );
  });

  it('without samples there is no quantile; below the first edge is bucket 0', () => {
    assert.equal(quantileMs({}, 0.99), null);
    assert.equal(bucketOf(0), 0);
    assert.equal(bucketOf(0.01), 0);
    assert.equal(bucketUpperMs(0), 0.01);
    assert.equal(quantileMs(histogramOf([0.001]), 0.5), 0.01);
  });

  it('a histogram survives JSON (it crosses the generator process boundary)', () => {
    const histogram = histogramOf([0.3, 0.31, 12, 800]);
    assert.deepEqual(JSON.parse(JSON.stringify(histogram)), histogram);
    assert.equal(quantileMs(JSON.parse(JSON.stringify(histogram)), 0.99), quantileMs(histogram, 0.99));
  });
});
