import type { StatusReport } from '../../src/core/status.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

const hostSysctl = (key: string) => Number(readFileSync(`/proc/sys/net/netfilter/${key}`, 'utf8'));

describe('status on the real kernel', () => {
  before(requireKernelLab);

  for (const source of ['procfs', 'netlink'] as const) {
    it(`reports the kernel's own values for a namespace with known flows (${source})`, async () => {
      await withLabNamespace(async (lab) => {
        await lab.runWorkload('udp-spread', { count: 300, port: 9000 });
        const { result, json } = await runCliJson<StatusReport>([
          'status',
          '--netns',
          lab.name,
          '--source',
          source,
          '--interval',
          '0.2',
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(json.count, await lab.count());
        assert.equal(json.count, 300);
        assert.equal(json.max, hostSysctl('nf_conntrack_max'));
        assert.equal(json.buckets, hostSysctl('nf_conntrack_buckets'));
        assert.equal(json.netns.inode, lab.inode);
        assert.equal(json.netns.initial, false);
        assert.equal(json.statsSource, source);
        assert.equal(json.verdict, 'ok');
        assert.equal(json.memory.entryBytesSource, 'slabinfo');
        assert.equal(json.kernel, readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
      });
    });
  }

  it('selects a namespace by process id too', async () => {
    await withLabNamespace(async (lab) => {
      const hold = lab.startWorkload('tcp-hold', { count: 5, port: 5432 });
      await hold.ready;
      const { json } = await runCliJson<StatusReport>([
        'status',
        '--netns',
        String(hold.child.pid),
        '--interval',
        '0.1',
      ]);
      // ip netns exec forks the workload; its pid's namespace is still the lab's.
      assert.equal(json.netns.inode, lab.inode);
      assert.equal(json.count, await lab.count());
    });
  });

  it('sees a full, dropping namespace as crit and the relief after the limit is raised', async () => {
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_udp_timeout', 120); // keep the filled entries for the whole test
      await lab.runWorkload('udp-spread', { count: 300, port: 9000 });
      const limit = 400;
      await withGlobalMax(limit, async (originalMax) => {
        // Continuous traffic to ever-new destinations: once the table is full, every new flow drops.
        const traffic = lab.startWorkload('udp-spread', {
          count: 60000,
          port: 9100,
          offset: 10000,
          rate: 1500,
          seconds: 20,
        });
        await lab.waitFor(async () => (await lab.count()) >= limit, 10_000, 'the table to fill');

        const { json: full } = await runCliJson<StatusReport>([
          'status',
          '--netns',
          lab.name,
          '--interval',
          '1',
        ]);
        // At ≥ 95 % the GC worker evicts unassured entries, so a sample may catch the count a few
        // entries under the limit: the table is full for the operator, not necessarily to the entry.
        assert.ok(full.usage >= 0.95, `usage ${full.usage}`);
        assert.ok((full.rates?.drop ?? 0) > 0, `drop rate ${full.rates?.drop}`);
        assert.equal(full.verdict, 'crit');
        const fullCheck = await runCli(['check', '--netns', lab.name, '--interval', '0.5']);
        assert.equal(fullCheck.code, 2, fullCheck.stdout);
        assert.match(fullCheck.stdout, /^CONNTRACK CRITICAL - (9[5-9]|100)% used \(\d+\/400\), \d+ drops\/s/);

        await withGlobalMaxRaised(originalMax);
        const after = await runCliJson<StatusReport>(['status', '--netns', lab.name, '--interval', '1']);
        assert.equal(after.json.rates?.drop, 0);
        assert.ok(after.json.count > limit, 'new flows are tracked again');
        const okCheck = await runCli(['check', '--netns', lab.name, '--interval', '0.5']);
        assert.ok(okCheck.code === 0 || okCheck.code === 1, okCheck.stdout);
        traffic.child.kill();
      });
    });
    assert.ok(hostSysctl('nf_conntrack_max') > 400, 'global max restored');
  });
});

/** Raising the limit inside withGlobalMax: the wrapper still restores the original at the end. */
async function withGlobalMaxRaised(value: number): Promise<void> {
  const { writeSysctl } = await import('../../src/host/sysctlWrite.js');
  const { DEFAULT_ROOTS } = await import('../../src/host/roots.js');
  await writeSysctl(DEFAULT_ROOTS, 'net.netfilter.nf_conntrack_max', value);
}
