import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

/**
 * No packet is sent: the blocked addresses are documentation ones (RFC 3849), only added to and
 * deleted from the namespace's own nft set or ipset.
 */
describe('#11.28 block and block --remove compare addresses as nft and ipset list them', () => {
  before(requireKernelLab);

  for (const backend of ['nft', 'iptables-nft']) {
    it(`#11.28 ${backend}: block 2001:DB8::1, then --remove 2001:db8:0:0::1 unblocks it`, async () => {
      await withLabNamespace(async (lab) => {
        const base = ['block', '--netns', lab.name, '--backend', backend];
        const state = ['--state-dir', mkdtempSync(join(tmpdir(), 'ctd-state-'))];
        const list = async () =>
          (await runCliJson<{ entries: { address: string }[] }>([...base, '--list'])).json.entries.map(
            (entry) => entry.address,
          );

        const blocked = await runCliJson<{ blocked: string[] }>([
          ...base,
          ...state,
          '--ip',
          '2001:DB8::1',
          '--apply',
        ]);
        assert.equal(blocked.result.code, 0, blocked.result.stderr);
        assert.deepEqual(blocked.json.blocked, ['2001:db8::1']);
        assert.deepEqual(await list(), ['2001:db8::1']);

        const removed = await runCli([...base, ...state, '--remove', '--ip', '2001:db8:0:0::1', '--apply']);
        assert.equal(removed.code, 0, removed.stderr);
        assert.equal(removed.stdout, 'unblocked: 2001:db8::1\n');
        assert.deepEqual(await list(), []);

        const hostBits = await runCli([...base, ...state, '--ip', '10.0.0.5/8', '--apply']);
        assert.equal(hostBits.code, 2);
        assert.match(hostBits.stderr, /give the network 10\.0\.0\.0\/8 or the address 10\.0\.0\.5 alone/);
        assert.deepEqual(await list(), [], 'nothing was blocked');
      });
    });
  }
});
