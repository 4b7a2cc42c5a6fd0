import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeriesFolder } from '../../../src/daemon/exposedSeries.js';
import { serveRegistry } from '../../../src/daemon/metrics.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import { documentedMetrics } from '../../support/documentedMetrics.js';
import { fixture } from '../../support/paths.js';

describe('docs/metrics.md', () => {
  it('lists exactly the metrics /metrics exposes, with their types', async () => {
    const sample = await new Sampler(
      samplerSourceOf({ procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') }),
    ).take();
    const exposition = new SeriesFolder(500).fold(sample);
    const text = await serveRegistry(() => exposition, { version: 'test' }).metrics();
    const exposed = new Map([...text.matchAll(/^# TYPE (\w+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual([...documentedMetrics()].sort(), [...exposed].sort());
  });
});
