import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReliefResult, ReliefTally } from './autoRelief.js';

const RESULTS: readonly ReliefResult[] = ['applied', 'refused', 'skipped'];

/** No relief yet, or --auto-relief off: every series at 0 ("avoid missing metrics"). */
export const NO_RELIEF: ReliefTally = { applied: 0, refused: 0, skipped: 0, lastAppliedAtMs: undefined };

/** The auto-relief's decisions, read from its tally at scrape time. */
export function addReliefMetrics(registry: Registry, tally: () => ReliefTally): void {
  new Counter({
    name: 'ctdoctor_auto_relief_total',
    help: 'Samples where a namespace lost packets to a full table, by what --auto-relief did: applied (raised the limit), refused (not root, another ctdoctor changing the system, a failed write), skipped (cool-down, no higher limit fits the budget).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      const now = tally();
      for (const result of RESULTS) this.inc({ result }, now[result]);
    },
  });
  new Gauge({
    name: 'ctdoctor_auto_relief_last_timestamp_seconds',
    help: 'When --auto-relief last raised the limit (Unix time); 0 if it never did.',
    registers: [registry],
    collect() {
      this.set((tally().lastAppliedAtMs ?? 0) / 1000);
    },
  });
}
