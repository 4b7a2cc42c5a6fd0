import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { SCANNER, scenario } from '../../src/lab/tableScenarios.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

const state = () => mkdtempSync(join(tmpdir(), 'ctd-state-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Entries that 20 short connections to `port` create. The table is flushed first: on loopback the
 * kernel reuses the ports of the client's own TIME_WAIT sockets (tcp_tw_reuse = 2), and a reused
 * 4-tuple whose entry is still in the table re-opens that entry instead of adding one (seen: 17
 * new entries for 20 connections in a CI run).
 */
async function newEntries(lab: LabNamespace, port: number): Promise<number> {
  await lab.execChecked('conntrack', ['-F']);
  const before = await lab.count();
  await lab.runWorkload('tcp-churn', { count: 20, port });
  return (await lab.count()) - before;
}

describe('notrack on the real kernel', () => {
  before(requireKernelLab);

  for (const backend of ['nft', 'iptables-nft', 'iptables-legacy']) {
    it(`${backend}: flows to the port stop creating entries, others still do; idempotent; --remove restores`, async () => {
      await withLabNamespace(async (lab) => {
        const stateDir = state();
        const args = [
          'notrack',
          '--netns',
          lab.name,
          '--port',
          '8080',
          '--direction',
          'both',
          '--backend',
          backend,
          '--state-dir',
          stateDir,
        ];
        assert.equal(await newEntries(lab, 8080), 20, 'tracked before');
        const first = await runCliJson<{ applied: boolean; changed: string[]; effect: { entries: number } }>([
          ...args,
          '--apply',
        ]);
        assert.equal(first.result.code, 0, first.result.stderr);
        assert.equal(first.json.effect.entries, 20, 'the estimate counts what the port holds now');
        assert.ok(first.json.changed.length >= 4);
        assert.equal(await newEntries(lab, 8080), 0, 'untracked after');
        assert.equal(await newEntries(lab, 8081), 20, 'another port is still tracked');
        const second = await runCliJson<{ changed: string[] }>([...args, '--apply']);
        assert.deepEqual(second.json.changed, [], 'a second apply changes nothing');
        const removed = await runCliJson<{ changed: string[] }>([...args, '--remove', '--apply']);
        assert.equal(removed.json.changed.length, first.json.changed.length);
        assert.equal(await newEntries(lab, 8080), 20, 'tracked again');
      });
    });
  }

  it('refuses where a drop policy relies on ct state, and names the rule to add', async () => {
    await withLabNamespace(async (lab) => {
      await lab.execChecked(
        'nft',
        ['-f', '-'],
        'table inet site {\n chain input { type filter hook input priority 0; policy drop; ct state established,related accept; iif lo tcp dport 22 accept; }\n}\n',
      );
      const result = await runCliJson<{ refused: boolean; concerns: { severity: string; fix: string }[] }>([
        'notrack',
        '--netns',
        lab.name,
        '--port',
        '8080',
        '--backend',
        'nft',
        '--state-dir',
        state(),
        '--apply',
      ]);
      assert.equal(result.result.code, 1);
      assert.equal(result.json.refused, true);
      assert.equal(result.json.concerns[0]?.fix, 'nft insert rule inet site input ct state untracked accept');
      assert.doesNotMatch(
        await lab.execChecked('nft', ['list', 'ruleset']),
        /ctdoctor_notrack[\s\S]*notrack comment/,
      );
    });
  });
});

describe('block on the real kernel', () => {
  before(requireKernelLab);

  for (const backend of ['nft', 'iptables-nft', 'iptables-legacy']) {
    it(`${backend}: stops a flooding source, flushes its entries, --remove undoes it; SSH client refused`, async () => {
      await withLabNamespace(async (lab) => {
        const stateDir = state();
        await lab.runWorkload('udp-spread', { count: 300, port: 9000, source: '127.0.0.77' });
        await lab.runWorkload('udp-spread', { count: 50, port: 9001, offset: 5000 });
        const args = [
          'block',
          '--netns',
          lab.name,
          '--ip',
          '127.0.0.77',
          '--backend',
          backend,
          '--state-dir',
          stateDir,
        ];
        const ssh = await runCli([...args, '--apply'], {
          env: { SSH_CONNECTION: '127.0.0.77 50000 127.0.0.1 22' },
        });
        assert.equal(ssh.code, 1);
        assert.match(ssh.stderr, /your SSH session's client/);
        assert.equal(await lab.count(), 350, 'refusal changed nothing');
        // Lab traffic is loopback-only, and loopback is protected: --force is needed here, not in real use.
        const before = await lab.count();
        const { json } = await runCliJson<{ flushed: Record<string, number> }>([
          ...args,
          '--ttl',
          '1h',
          '--force',
          '--apply',
        ]);
        const after = await lab.count();
        assert.equal(json.flushed['127.0.0.77'], 300);
        assert.equal(before - after, 300, 'the count drops by the number reported');
        const flood = await lab.runWorkload('udp-spread', { count: 100, port: 9002, source: '127.0.0.77' });
        assert.equal(flood.sent, 0);
        assert.equal(await lab.count(), after, 'no new entries from the blocked source');
        const list = await runCliJson<{ entries: { address: string; expiresSeconds: number }[] }>([
          'block',
          '--netns',
          lab.name,
          '--list',
          '--backend',
          backend,
        ]);
        assert.equal(list.json.entries[0]?.address, '127.0.0.77');
        assert.ok(
          list.json.entries[0]!.expiresSeconds > 3500 && list.json.entries[0]!.expiresSeconds <= 3600,
        );
        await runCli([...args, '--remove', '--apply']);
        assert.equal(
          (await lab.runWorkload('udp-spread', { count: 10, port: 9003, source: '127.0.0.77' })).sent,
          10,
        );
      });
    });
  }
});

describe('timeouts on the real kernel', () => {
  before(requireKernelLab);

  it('estimates the idle entries, applies per namespace, flushes exactly those, and rolls back', async () => {
    const hostUdpTimeout = readFileSync('/proc/sys/net/netfilter/nf_conntrack_udp_timeout', 'utf8').trim();
    await withLabNamespace(async (lab) => {
      const stateDir = state();
      await lab.setSysctl('nf_conntrack_udp_timeout', 30);
      await lab.runWorkload('udp-spread', { count: 200, port: 9000 });
      await sleep(6500); // idle ~6.5 s against a new timeout of 4 s; the fresh flows below stay well under it
      await lab.runWorkload('udp-spread', { count: 100, port: 9001, offset: 5000 });
      const { result, json } = await runCliJson<{
        impacts: { name: string; governed: number; idleBeyondNew: number }[];
        flushed: number;
        journalId: string;
      }>([
        'timeouts',
        '--netns',
        lab.name,
        '--set',
        'udp_timeout=4',
        '--apply',
        '--flush-idle',
        '--state-dir',
        stateDir,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        json.impacts.map((i) => [i.name, i.governed, i.idleBeyondNew]),
        [['udp_timeout', 300, 200]],
      );
      assert.equal(json.flushed, 200);
      assert.equal(await lab.count(), 100, 'the entries estimated idle are gone, the fresh ones stay');
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '4');
      assert.equal(
        readFileSync('/proc/sys/net/netfilter/nf_conntrack_udp_timeout', 'utf8').trim(),
        hostUdpTimeout,
        'the host namespace is untouched',
      );
      await runCli(['rollback', '--state-dir', stateDir]);
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '30');
    });
  });

  it('refuses to shorten established when SSH/database flows exist, unless --force', async () => {
    await withLabNamespace(async (lab) => {
      await lab.startWorkload('tcp-hold', { count: 3, port: 5432 }).ready;
      const refused = await runCliJson<{ refusal: string | null }>([
        'timeouts',
        '--netns',
        lab.name,
        '--set',
        'tcp_timeout_established=3600',
        '--apply',
        '--state-dir',
        state(),
      ]);
      assert.equal(refused.result.code, 1);
      assert.match(refused.json.refusal ?? '', /3 PostgreSQL/);
      assert.equal(await lab.readSysctl('nf_conntrack_tcp_timeout_established'), '432000');
    });
  });
});

describe('helpers on the real kernel', () => {
  it('lists every known helper with its presence and plans nothing for unused built-in ones', async () => {
    const { result, json } = await runCliJson<{
      helpers: { name: string; presence: string; inUse: boolean }[];
      plan: { action: string }[];
    }>(['helpers']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json.helpers.length, 11);
    const ftp = json.helpers.find((helper) => helper.name === 'ftp')!;
    assert.ok(['built-in', 'module-loaded', 'absent'].includes(ftp.presence));
    // Built-in helpers cannot be unloaded and absent ones have nothing to unload: the plan says so.
    for (const [i, helper] of json.helpers.entries()) {
      const expected = helper.inUse
        ? 'keep'
        : helper.presence === 'built-in'
          ? 'built-in'
          : helper.presence === 'absent'
            ? 'absent'
            : 'unload';
      assert.equal(json.plan[i]!.action, expected, helper.name);
    }
  });
});

describe('paths that act on findings and on iptables rulesets', () => {
  before(requireKernelLab);

  it('block --from-findings names the loopback scanner analyze finds, and never blocks it, even with --force', async () => {
    await withLabNamespace(async (lab) => {
      await scenario('scan').make(lab);
      const before = await lab.count();
      // The lab's scanner is a loopback address: a finding names it, the guards keep it (#13.3).
      for (const force of [[], ['--force']]) {
        const { result, json } = await runCliJson<{
          targets: string[];
          applied: boolean;
          skipped: { address: string; why: string }[];
        }>([
          'block',
          '--netns',
          lab.name,
          '--from-findings',
          ...force,
          '--backend',
          'nft',
          '--state-dir',
          state(),
          '--apply',
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(json.targets, []);
        assert.equal(json.applied, false);
        assert.deepEqual(
          json.skipped.map(({ address, why }) => ({ address, why })),
          [{ address: SCANNER, why: 'loopback' }],
        );
      }
      assert.equal(await lab.count(), before, 'its entries are left as they are');
    });
  });

  it('notrack reviews an iptables ruleset: a DROP policy relying on conntrack state is refused with the rule to add', async () => {
    await withLabNamespace(async (lab) => {
      await lab.execChecked('iptables-nft', [
        '-A',
        'INPUT',
        '-m',
        'conntrack',
        '--ctstate',
        'ESTABLISHED,RELATED',
        '-j',
        'ACCEPT',
      ]);
      await lab.execChecked('iptables-nft', ['-P', 'INPUT', 'DROP']);
      const notrack = [
        'notrack',
        '--netns',
        lab.name,
        '--port',
        '8080',
        '--backend',
        'iptables-nft',
        '--state-dir',
        state(),
        '--apply',
      ];
      const { result, json } = await runCliJson<{ refused: boolean; concerns: { fix: string }[] }>(notrack);
      assert.equal(result.code, 1);
      assert.equal(json.refused, true);
      assert.equal(json.concerns[0]?.fix, 'iptables-nft -I INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT');
      await lab.execChecked('iptables-nft', json.concerns[0]!.fix.split(' ').slice(1));
      const accepted = await runCliJson<{ refused: boolean; changed: string[] }>(notrack);
      assert.equal(accepted.json.refused, false, 'with the rule in place it applies');
      assert.ok(accepted.json.changed.length > 0);
    });
  });
});
