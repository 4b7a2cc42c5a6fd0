import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { fleetDocBlocks } from '../support/fleetDoc.js';

function checked(tool: string, args: string[], file: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-fleet-doc-'));
  try {
    writeFileSync(join(dir, file), text);
    const run = spawnSync(tool, [...args, join(dir, file)], { encoding: 'utf8' });
    if (run.error) throw new Error(`${tool} is missing: scripts/test.sh installs it`);
    return run.status === 0 ? '' : `${run.stdout}${run.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("docs/fleet.md's examples", () => {
  const yamlBlocks = fleetDocBlocks('yaml').map((text) => parse(text) as Record<string, unknown>);

  it('the Alertmanager routing passes amtool check-config', () => {
    const routing = yamlBlocks.find((block) => 'route' in block);
    assert.ok(routing, 'a route: block');
    assert.equal(checked('amtool', ['check-config'], 'alertmanager.yml', stringify(routing)), '');
  });

  it('the scrape-time drop and the remote write pass promtool check config', () => {
    const relabel = yamlBlocks.find((block) => 'metric_relabel_configs' in block);
    const remote = yamlBlocks.find((block) => 'remote_write' in block);
    assert.ok(relabel && remote);
    const config = {
      scrape_configs: [
        { job_name: 'ctdoctor', static_configs: [{ targets: ['127.0.0.1:9466'] }], ...relabel },
      ],
      ...remote,
    };
    assert.equal(checked('promtool', ['check', 'config'], 'prometheus.yml', stringify(config)), '');
  });
});
