import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { type CrashCase, crashAfterEveryStep } from '../support/crashHarness.js';
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

/** Runs the harness on `command … --netns LAB --state-dir DIR --apply` in a fresh lab namespace. */
async function crashInLab(
  command: string[],
  prepare: (lab: LabNamespace) => Promise<void> = async () => {},
  snapshot: (lab: LabNamespace) => CrashCase['snapshot'] = (lab) => () => labSnapshot(lab),
): Promise<{ steps: number; killedAfter: string[] }> {
  return withLabNamespace(async (lab) => {
    await prepare(lab);
    const stateArgs = ['--state-dir', state()];
    return crashAfterEveryStep({
      apply: [...command, '--netns', lab.name, ...stateArgs, '--apply'],
      snapshot: snapshot(lab),
      stateArgs,
    });
  });
}

describe('#11.4 an --apply killed after any step is undone exactly by rollback (real kernel)', () => {
  before(requireKernelLab);

  it('#11.4 mitigate: global max and buckets', async () => {
    const originalBuckets = hostSetting('nf_conntrack_buckets');
    // withGlobalMax restores the machine-wide max in its finally, whatever a killed run left.
    await withGlobalMax(Number(hostSetting('nf_conntrack_max')), async (max) => {
      try {
        // A multiple of 512: the kernel rounds the hash up to whole pages.
        const buckets = Number(originalBuckets) + 512 * 8;
        const { steps, killedAfter } = await crashInLab(
          [
            'mitigate',
            '--max',
            String(max + 1000),
            '--buckets',
            String(buckets),
            '--interval',
            '0.1',
            '--verify-seconds',
            '0.1',
          ],
          undefined,
          () => async () => ({
            max: hostSetting('nf_conntrack_max'),
            buckets: hostSetting('nf_conntrack_buckets'),
          }),
        );
        assert.equal(steps, 6, killedAfter.join('\n'));
        assert.match(killedAfter[1]!, /^net\.netfilter\.nf_conntrack_buckets: \d+ → \d+$/);
        assert.match(killedAfter[3]!, /^net\.netfilter\.nf_conntrack_max: \d+ → \d+$/);
      } finally {
        writeFileSync(BUCKETS_FILE, `${originalBuckets}\n`);
      }
    });
  });

  it('#11.4 notrack (nft): the rules and the table it created', async () => {
    const { steps, killedAfter } = await crashInLab([
      'notrack',
      '--port',
      '8080',
      '--direction',
      'both',
      '--backend',
      'nft',
    ]);
    // begin; the table, then four rules, each with its journal step; commit
    assert.equal(steps, 12, killedAfter.join('\n'));
    assert.equal(killedAfter[1], 'nft: create table inet ctdoctor_notrack');
  });

  for (const backend of ['nft', 'iptables-legacy']) {
    it(`#11.4 block (${backend}): the table, sets, chains and rules it created, and the element`, async () => {
      const { steps, killedAfter } = await crashInLab(
        ['block', '--ip', '127.0.0.77', '--ttl', '1h', '--force', '--backend', backend],
        undefined,
        (lab) => async () => ({
          ...(await labSnapshot(lab)),
          sets: (await lab.exec('ipset', ['list', '-n'])).stdout,
          iptables: (await lab.exec('iptables-legacy-save', ['-t', 'raw'])).stdout.replace(/^#.*\n/gm, ''),
          ip6tables: (await lab.exec('ip6tables-legacy-save', ['-t', 'raw'])).stdout.replace(/^#.*\n/gm, ''),
        }),
      );
      if (backend === 'nft') {
        assert.equal(steps, 6, killedAfter.join('\n'));
        assert.deepEqual(killedAfter.slice(1, 4), [
          'nft: create table inet ctdoctor_block',
          'journal step',
          'block 127.0.0.77',
        ]);
      } else {
        // two ipsets and four drop rules, then the element: 7 changes, each with its step
        assert.equal(steps, 16, killedAfter.join('\n'));
      }
    });
  }

  it('#11.4 timeouts: two values in the namespace', async () => {
    const { steps, killedAfter } = await crashInLab(
      ['timeouts', '--set', 'udp_timeout=4', '--set', 'tcp_timeout_established=7200'],
      (lab) => lab.setSysctl('nf_conntrack_udp_timeout', 30),
    );
    assert.equal(steps, 6, killedAfter.join('\n'));
    assert.match(killedAfter[1]!, /^net\.netfilter\.nf_conntrack_udp_timeout: 30 → 4 \(in /);
  });
});
