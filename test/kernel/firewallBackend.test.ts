import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AS_NOBODY, hasStackTrace } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { CLI } from '../support/paths.js';

/** ctdoctor inside the lab namespace, as root or as uid 65534 (setpriv drops every capability). */
function ctdoctorIn(lab: LabNamespace, user: 'root' | 'nobody', args: string[]) {
  const argv = [process.execPath, CLI, ...args];
  return user === 'root'
    ? lab.exec(argv[0]!, argv.slice(1))
    : lab.exec(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), ...argv]);
}

describe('#11.22 firewall backend detection does not depend on privileges', () => {
  before(requireKernelLab);

  it('#11.22 block picks the same backend as root and as uid 65534', async () => {
    await withLabNamespace(async (lab) => {
      const backends: Record<string, unknown> = {};
      for (const user of ['root', 'nobody'] as const) {
        const result = await ctdoctorIn(lab, user, ['block', '--ip', '192.0.2.7', '--json']);
        assert.equal(result.exitCode, 0, `${user}: ${result.stderr}`);
        backends[user] = (JSON.parse(result.stdout) as { backend: string }).backend;
      }
      assert.equal(backends.nobody, backends.root);
      assert.equal(backends.root, 'nft');
    });
  });

  it('#11.22 with the backend chosen as nft, legacy iptables rules are still reviewed', async () => {
    await withLabNamespace(async (lab) => {
      // A drop policy that lets replies in by conntrack state, in x_tables only (as an old Docker
      // leaves it): untracked packets would be dropped there, whatever nft is told.
      await lab.execChecked('iptables-legacy', ['-P', 'INPUT', 'DROP']);
      await lab.execChecked('iptables-legacy', [
        '-A',
        'INPUT',
        '-m',
        'conntrack',
        '--ctstate',
        'ESTABLISHED,RELATED',
        '-j',
        'ACCEPT',
      ]);
      const result = await ctdoctorIn(lab, 'root', [
        'notrack',
        '--port',
        '8080',
        '--apply',
        '--json',
        // Were the refusal to regress, the apply must not journal into this machine's /var/lib/ctdoctor.
        '--state-dir',
        mkdtempSync(join(tmpdir(), 'ctd-state-')),
      ]);
      const plan = JSON.parse(result.stdout) as {
        backend: string;
        refused: boolean;
        applied: boolean;
        concerns: { fix: string }[];
      };
      assert.equal(plan.backend, 'nft');
      assert.equal(plan.refused, true);
      assert.equal(plan.applied, false);
      assert.deepEqual(
        plan.concerns.map((concern) => concern.fix),
        ['iptables-legacy -I INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT'],
      );
    });
  });

  for (const args of [
    ['notrack', '--port', '53', '--proto', 'udp'],
    ['block', '--list'],
  ]) {
    it(`#11.22 ${args.join(' ')} as uid 65534 says "needs root" once, naming sudo`, async () => {
      await withLabNamespace(async (lab) => {
        const result = await ctdoctorIn(lab, 'nobody', args);
        assert.equal(result.exitCode, 1);
        assert.equal(result.stdout, '');
        assert.equal(result.stderr, 'ctdoctor: reading or changing the firewall needs root: run with sudo\n');
        assert.ok(!hasStackTrace(result.stderr));
      });
    });
  }
});
