import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SeriesFolder } from '../../../src/daemon/exposedSeries.js';
import { serveRegistry } from '../../../src/daemon/metrics.js';
import { addAlertMetrics } from '../../../src/daemon/alertMetrics.js';
import { ServeAlerts, alertsWithoutSinks } from '../../../src/daemon/serveAlerts.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import { REPO_ROOT, fixture } from '../../support/paths.js';
import { join } from 'node:path';

/** `metric` → `type` of every row of the table between the markers in docs/metrics.md. */
function documentedMetrics(): Map<string, string> {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- metrics:begin'), doc.indexOf('<!-- metrics:end'));
  return new Map([...table.matchAll(/^\| `(\w+)`\s*\| (\w+)\s*\|/gm)].map((m) => [m[1]!, m[2]!]));
}

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
