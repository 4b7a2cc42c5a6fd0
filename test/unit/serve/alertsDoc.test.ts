import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALERT_RULES, DEFAULT_ALERT_POLICY } from '../../../src/core/alerts/alertRules.js';
import { REPO_ROOT } from '../../support/paths.js';

/** `alertname` → `severity` of every row between the alerts markers in docs/metrics.md. */
function documentedAlerts(): Map<string, string> {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- alerts:begin'), doc.indexOf('<!-- alerts:end'));
  return new Map([...table.matchAll(/^\| `(\w+)`\s*\| (\w+)\s*\|/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('docs/metrics.md alerts', () => {
  it('lists exactly the rules serve evaluates, with their severities and default `for`', () => {
    assert.deepEqual(
      [...documentedAlerts()].sort(),
      ALERT_RULES.map((rule) => [rule.alertname, rule.severity]).sort(),
    );
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
    for (const rule of ALERT_RULES) {
      const forSeconds = rule.forSeconds(DEFAULT_ALERT_POLICY);
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${rule.alertname}\``))!;
      assert.match(row, forSeconds === 0 ? /\| 0\s+\|/ : new RegExp(`\\| ${forSeconds / 60} min `), row);
    }
  });
});
