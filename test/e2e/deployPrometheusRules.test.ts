import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';

const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy', 'prometheus');

/** promtool's exit code and output; fails (never skips) without it: scripts/test.sh installs it. */
function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  if (run.error) throw new Error('promtool is missing: apt-get install prometheus (scripts/test.sh does)');
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('deploy/prometheus: the shipped alerting rules', () => {
  it('pass promtool check rules (keep_firing_for included: Debian 12 has Prometheus 2.42)', () => {
    const check = promtool(['check', 'rules', 'ctdoctor.rules.yml']);
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests: each alert fires, stays quiet on a healthy namespace, and resolves', () => {
    const test = promtool(['test', 'rules', 'ctdoctor.rules.test.yml']);
    assert.equal(test.status, 0, test.output);
    assert.match(test.output, /SUCCESS/);
  });
});
