import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

const hostMax = () => Number(readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'));

interface MitigateJson {
  before: { lossPerSecond: number; count: number; max: number };
  plan: { changes: { key: string; from: number; to: number }[]; refusal: string | null };
  applied: boolean;
  journalId: string | null;
  after: { deltas: { drop: number; early_drop: number; insert_failed: number } } | null;
  relieved: boolean | null;
}

describe('mitigate and rollback on the real kernel', () => {
  before(requireKernelLab);

  it('raises the limit of a full, dropping table, verifies the drops stopped, and rolls back exactly', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ctdoctor-state-'));
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_udp_timeout', 120);
      await lab.runWorkload('udp-spread', { count: 300, port: 9000 });
      await withGlobalMax(400, async (originalMax) => {
        const traffic = lab.startWorkload('udp-spread', {
          count: 100000,
          port: 9100,
          offset: 10000,
          rate: 1000,
          seconds: 30,
        });
        await lab.waitFor(async () => (await lab.count()) >= 400, 10_000, 'the table to fill');
        const common = ['--netns', lab.name, '--state-dir', stateDir, '--interval', '1'];

        const planOnly = await runCliJson<MitigateJson>([
          'mitigate',
          ...common,
          '--max',
          String(originalMax),
        ]);
        assert.equal(planOnly.json.applied, false);
        assert.equal(hostMax(), 400, 'a plan changes nothing');
        assert.ok(planOnly.json.before.lossPerSecond > 0);

        const { result, json } = await runCliJson<MitigateJson>([
          'mitigate',
          ...common,
          '--max',
          String(originalMax),
          '--apply',
          '--verify-seconds',
          '2',
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(json.before.lossPerSecond > 0, 'drops before');
        assert.deepEqual(json.plan.changes, [
          { key: 'net.netfilter.nf_conntrack_max', from: 400, to: originalMax },
        ]);
        assert.equal(json.applied, true);
        assert.deepEqual(json.after?.deltas, { drop: 0, early_drop: 0, insert_failed: 0 });
        assert.equal(json.relieved, true);
        assert.equal(hostMax(), originalMax);

        const again = await runCliJson<MitigateJson>([
          'mitigate',
          ...common,
          '--max',
          String(originalMax),
          '--apply',
          '--verify-seconds',
          '0.5',
        ]);
        assert.equal(again.json.applied, false, 'a second run changes nothing');
        assert.deepEqual(again.json.plan.changes, []);

        const rollback = await runCli(['rollback', '--state-dir', stateDir, '--json']);
        assert.equal(rollback.code, 0, rollback.stderr);
        assert.equal(JSON.parse(rollback.stdout).undone[0].id, json.journalId);
        assert.equal(hostMax(), 400, 'rollback restores the previous value exactly');
        const nothing = await runCli(['rollback', '--state-dir', stateDir]);
        assert.equal(nothing.code, 1);
        assert.match(nothing.stderr, /nothing to roll back/);
        traffic.child.kill();
      });
    });
  });

  it('refuses a table that would not fit the memory budget, with one line', async () => {
    const result = await runCli(['mitigate', '--max', String(2 ** 30), '--interval', '0.1']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /REFUSED: a full table at max 1,?073,?741,?824 would use/);
  });
});
