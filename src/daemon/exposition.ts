import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Registry } from 'prom-client';

/**
 * The registry's text exposition, the same bytes as `registry.metrics()`, rendered one metric at a
 * time with a turn of the event loop before each. prom-client renders every metric in one run of
 * microtasks (10–30 ms at 200 namespaces, measured), and a scrape arriving meanwhile waited for all
 * of it: that was /metrics' p99. Now it waits for one metric at most (200 series, under 1 ms).
 * Only for the Prometheus text format (serve's registry): OpenMetrics renames counters and ends
 * with `# EOF`, which prom-client does only inside metrics().
 */
export async function renderExposition(registry: Registry): Promise<string> {
  const rendered: string[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    await nextTurn();
    rendered.push(await registry.getSingleMetricAsString(metric.name));
  }
  return `${rendered.join('\n\n')}\n`;
}
