import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalMax.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { crashAfterEveryStep } from '../support/crashHarness.js';
import { requireKernelLab } from '../support/kernelLab.js';

const state = () => mkdtempSync(join(tmpdir(), 'ctd-state-'));
const BUCKETS_FILE = '/proc/sys/net/netfilter/nf_conntrack_buckets';
const hostSetting = (name: string) => readFileSync(`/proc/sys/net/netfilter/${name}`, 'utf8').trim();

/** What notrack, block and timeouts may change in the lab: its ruleset and its timeouts. */
async function labSnapshot(lab: LabNamespace): Promise<Record<string, string>> {
  return {
    ruleset: await lab.execChecked('nft', ['list', 'ruleset']),
    udp_timeout: await lab.readSysctl('nf_conntrack_udp_timeout'),
    tcp_timeout_established: await lab.readSysctl('nf_conntrack_tcp_timeout_established'),
  };
}

describe('#11.4 an --apply killed after any step is undone exactly by rollback (real kernel)', () => {
  before(requireKernelLab);

  it('#11.4 mitigate: global max and buckets', async () => {
    const originalBuckets = hostSetting('nf_conntrack_buckets');
    await withLabNamespace(async (lab) => {
      // withGlobalMax restores the machine-wide max in its finally, whatever a killed run left.
      await withGlobalMax(Number(hostSetting('nf_conntrack_max')), async (max) => {
        try {
          const stateDir = state();
          // A multiple of 512: the kernel rounds the hash up to whole pages.
          const buckets = Number(originalBuckets) + 512 * 8;
          const { steps, killedAfter } = await crashAfterEveryStep({
            apply: [
              'mitigate',
              '--netns',
              lab.name,
              '--max',
              String(max + 1000),
              '--buckets',
              String(buckets),
              '--interval',
              '0.1',
              '--verify-seconds',
              '0.1',
              '--state-dir',
              stateDir,
              '--apply',
            ],
            snapshot: async () => ({
              max: hostSetting('nf_conntrack_max'),
              buckets: hostSetting('nf_conntrack_buckets'),
            }),
            stateArgs: ['--state-dir', stateDir],
          });
          assert.equal(steps, 6, killedAfter.join('\n'));
          assert.match(killedAfter[1]!, /^net\.netfilter\.nf_conntrack_buckets: \d+ → \d+$/);
          assert.match(killedAfter[3]!, /^net\.netfilter\.nf_conntrack_max: \d+ → \d+$/);
        } finally {
          writeFileSync(BUCKETS_FILE, `${originalBuckets}\n`);
        }
      });
    });
  });

  it('#11.4 notrack (nft): the rules and the table it created', async () => {
    await withLabNamespace(async (lab) => {
      const stateDir = state();
      const { steps, killedAfter } = await crashAfterEveryStep({
        apply: [
          'notrack',
          '--netns',
          lab.name,
          '--port',
          '8080',
          '--direction',
          'both',
          '--backend',
          'nft',
          '--state-dir',
          stateDir,
          '--apply',
        ],
        snapshot: () => labSnapshot(lab),
        stateArgs: ['--state-dir', stateDir],
      });
      // begin; the table, then four rules, each with its journal step; commit
      assert.equal(steps, 12, killedAfter.join('\n'));
      assert.equal(killedAfter[1], 'nft: create table inet ctdoctor_notrack');
    });
  });

  it('#11.4 block (nft): the table, sets and chains it created and the element', async () => {
    await withLabNamespace(async (lab) => {
      const stateDir = state();
      const { steps, killedAfter } = await crashAfterEveryStep({
        apply: [
          'block',
          '--netns',
          lab.name,
          '--ip',
          '127.0.0.77',
          '--ttl',
          '1h',
          '--force',
          '--backend',
          'nft',
          '--state-dir',
          stateDir,
          '--apply',
        ],
        snapshot: () => labSnapshot(lab),
        stateArgs: ['--state-dir', stateDir],
      });
      assert.equal(steps, 6, killedAfter.join('\n'));
      assert.deepEqual(killedAfter.slice(1, 4), [
        'nft: create table inet ctdoctor_block',
        'journal step',
        'block 127.0.0.77',
      ]);
    });
  });

  it('#11.4 timeouts: two values in the namespace', async () => {
    await withLabNamespace(async (lab) => {
      const stateDir = state();
      await lab.setSysctl('nf_conntrack_udp_timeout', 30);
      const { steps, killedAfter } = await crashAfterEveryStep({
        apply: [
          'timeouts',
          '--netns',
          lab.name,
          '--set',
          'udp_timeout=4',
          '--set',
          'tcp_timeout_established=7200',
          '--state-dir',
          stateDir,
          '--apply',
        ],
        snapshot: () => labSnapshot(lab),
        stateArgs: ['--state-dir', stateDir],
      });
      assert.equal(steps, 6, killedAfter.join('\n'));
      assert.match(killedAfter[1]!, /^net\.netfilter\.nf_conntrack_udp_timeout: 30 → 4 \(in /);
    });
  });
});
