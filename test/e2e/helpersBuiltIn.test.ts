import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

/**
 * `ctdoctor helpers` on a fixture tree: a helper built in without module parameters (pptp) has no
 * /sys/module entry, and only the kernel's /proc/config.gz says it is there.
 */
describe('helpers: built in, seen through /proc/config.gz', () => {
  const work = mkdtempSync(join(tmpdir(), 'ctdoctor-helpers-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  async function presences(withConfig: boolean): Promise<Record<string, string>> {
    const proc = join(work, withConfig ? 'with' : 'without');
    cpSync(fixture('proc-6.18-full'), proc, { recursive: true });
    if (withConfig) copyFileSync(fixture('kernel-config', 'config-6.18.gz'), join(proc, 'config.gz'));
    const result = await runCli([
      'helpers',
      '--json',
      '--proc-root',
      proc,
      '--sys-root',
      fixture('sys-empty'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { helpers } = JSON.parse(result.stdout) as { helpers: { name: string; presence: string }[] };
    return Object.fromEntries(helpers.map((helper) => [helper.name, helper.presence]));
  }

  it('with the configuration: pptp and the rest are built in, nothing to unload', async () => {
    const presence = await presences(true);
    assert.equal(presence.pptp, 'built-in');
    assert.equal(presence.ftp, 'built-in');
  });

  it('without it and without /sys/module entries: absent, as before', async () => {
    assert.equal((await presences(false)).pptp, 'absent');
  });
});
