import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboard, dashboardQueries, metricsRead, ruleGroups } from '../support/deployQueries.js';
import { documentedMetrics } from '../support/documentedMetrics.js';

/** Grafana's reference to the dashboard's data-source variable (a literal, not a JS template). */
const DATASOURCE_VARIABLE = '$' + '{datasource}';

function known(): Set<string> {
  const recorded = ruleGroups().flatMap((group) => group.rules.flatMap((rule) => rule.record ?? []));
  return new Set([...documentedMetrics().keys(), ...recorded]);
}

describe('deploy/: the rules and the dashboard read only metrics serve exports', () => {
  it('every rule reads documented metrics (docs/metrics.md) or recorded ones', () => {
    const names = known();
    for (const rule of ruleGroups().flatMap((group) => group.rules)) {
      const unknown = metricsRead(rule.expr).filter((name) => !names.has(name));
      assert.deepEqual(unknown, [], `${rule.alert ?? rule.record}: ${rule.expr}`);
    }
  });

  it('every dashboard query reads documented metrics, and every panel uses the $datasource variable', () => {
    const names = known();
    const queries = dashboardQueries();
    assert.ok(queries.length > 10, 'the dashboard has its queries');
    for (const { where, expr } of queries) {
      assert.ok(metricsRead(expr).length > 0, `${where} reads a ctdoctor metric: ${expr}`);
      const unknown = metricsRead(expr).filter((name) => !names.has(name));
      assert.deepEqual(unknown, [], `${where}: ${expr}`);
    }
    for (const panel of dashboard().panels.filter((p) => p.type !== 'row'))
      assert.equal(panel.datasource?.uid, DATASOURCE_VARIABLE, panel.title);
    const variables = dashboard().templating.list.map((v) => v.name);
    assert.deepEqual(variables, ['datasource', 'instance', 'netns']);
  });

  it('a name read by neither would be caught', () => {
    assert.deepEqual(metricsRead('rate(ctdoctor_conntrack_stat_dorp_total{netns_name="ctdoctor_x"}[1m])'), [
      'ctdoctor_conntrack_stat_dorp_total',
    ]);
    assert.equal(known().has('ctdoctor_conntrack_stat_dorp_total'), false);
  });
});
