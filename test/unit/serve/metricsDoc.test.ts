import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeriesFolder } from '../../../src/daemon/exposedSeries.js';
import { serveRegistry } from '../../../src/daemon/metrics.js';
import { addAlertMetrics } from '../../../src/daemon/alertMetrics.js';
import { ServeAlerts, alertsWithoutSinks } from '../../../src/daemon/serveAlerts.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import { documentedMetrics } from '../../support/documentedMetrics.js';
import { fixture } from '../../support/paths.js';

describe('docs/metrics.md', () => {
  it('lists exactly the metrics /metrics exposes, with their types', async () => {
    const sample = await new Sampler(
      samplerSourceOf({ procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') }),
    ).take();
    const exposition = new SeriesFolder(500).fold(sample);
    const registry = serveRegistry(() => exposition, { version: 'test' });
    const alerts = new ServeAlerts(
      { ...alertsWithoutSinks('test'), webhooks: ['http://127.0.0.1:9/'] },
      { externalURL: () => '', userAgent: 'test', log: () => {}, writeStdout: () => {} },
    );
    addAlertMetrics(registry, () => alerts);
    const text = await registry.metrics();
    const exposed = new Map([...text.matchAll(/^# TYPE (\w+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual([...documentedMetrics()].sort(), [...exposed].sort());
  });
});
