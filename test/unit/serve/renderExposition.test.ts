import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import { SeriesFolder } from '../../../src/daemon/exposedSeries.js';
import { renderExposition } from '../../../src/daemon/exposition.js';
import { serveRegistry } from '../../../src/daemon/metrics.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import { fixture } from '../../support/paths.js';

/** serve's registry over the captured tree's sample, its one namespace repeated under 50 inodes. */
async function manyNamespaceRegistry(): Promise<Registry> {
  const source = samplerSourceOf({ procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') });
  const sample = await new Sampler(source).take();
  const base = sample.namespaces[0]!;
  const namespaces = Array.from({ length: 50 }, (_, i) => ({
    ...base,
    inode: base.inode + i,
    initial: i === 0,
    name: `ns-${i}`,
    entries: i,
  }));
  const latest = new SeriesFolder(500).fold({ ...sample, namespaces });
  return serveRegistry(() => latest, { version: 'test' });
}

describe('the exposition rendered a metric at a time', () => {
  it("is byte for byte prom-client's own rendering of serve's registry", async () => {
    const registry = await manyNamespaceRegistry();
    assert.equal(await renderExposition(registry), await registry.metrics());
  });

  it('is the same for label values prom-client escapes and for metrics with no series', async () => {
    const registry = new Registry();
    new Gauge({ name: 'empty_gauge', help: 'no series', registers: [registry] });
    new Counter({
      name: 'c_total',
      help: 'a "quoted" \\ help',
      labelNames: ['v'],
      registers: [registry],
    }).inc({ v: 'line\nbreak "and" \\' }, 3);
    assert.equal(await renderExposition(registry), await registry.metrics());
  });

  it('lets the event loop run between metrics, so a scrape need not wait for the whole rendering', async () => {
    const registry = await manyNamespaceRegistry();
    let turns = 0;
    let done = false;
    const countTurns = () => {
      if (done) return;
      turns++;
      setImmediate(countTurns);
    };
    setImmediate(countTurns);
    await renderExposition(registry).finally(() => {
      done = true;
    });
    // A turn before each metric: the loop ran about as often as there are metrics.
    assert.ok(turns >= registry.getMetricsAsArray().length - 1, `${turns} turns`);
  });
});
