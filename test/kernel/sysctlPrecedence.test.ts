import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { resolveAtBoot } from '../../src/core/plan/sysctlPrecedence.js';
import { readSysctlTree } from '../../src/host/confTree.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import {
  K1,
  K2,
  K3,
  K4,
  KEYS,
  SENTINEL,
  type TreeSpec,
  makeTree,
  realApply,
} from '../support/sysctlTrees.js';

const TREES: Record<string, TreeSpec> = {
  'same name in /etc masks /usr/lib; /run is read': {
    '/usr/lib/sysctl.d/50-a.conf': `${K1} = 100\n`,
    '/etc/sysctl.d/50-a.conf': `${K1} = 200\n`,
    '/run/sysctl.d/60-b.conf': `${K2} = 300\n`,
  },
  'the lexicographically later file wins across directories': {
    '/etc/sysctl.d/10-x.conf': `${K1} = 111\n${K2} = 112\n`,
    '/usr/lib/sysctl.d/20-y.conf': `${K1} = 222\n`,
    '/usr/local/lib/sysctl.d/15-z.conf': `${K2} = 113\n`,
  },
  'a symlink to /dev/null disables a vendor file': {
    '/usr/lib/sysctl.d/30-v.conf': `${K1} = 333\n${K2} = 334\n`,
    '/etc/sysctl.d/30-v.conf': { link: '/dev/null' },
    '/usr/lib/sysctl.d/31-w.conf': `${K2} = 335\n`,
  },
  '/etc/sysctl.conf through the Debian 99-sysctl.conf link beats 90-ctdoctor': {
    '/etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' },
    '/etc/sysctl.conf': `${K1} = 444\n`,
    '/etc/sysctl.d/90-ctdoctor.conf': `${K1} = 555\n${K2} = 556\n`,
  },
  '/etc/sysctl.conf without the link: only procps reads it': {
    '/etc/sysctl.conf': `${K1} = 444\n`,
    '/etc/sysctl.d/90-ctdoctor.conf': `${K1} = 555\n`,
  },
  'explicit keys beat globs whatever their order': {
    '/etc/sysctl.d/05-e.conf': `${K3} = 62\n`,
    '/etc/sysctl.d/10-g.conf': 'net.netfilter.nf_conntrack_udp_timeout* = 61\n',
  },
  '-key excludes from globs; -key = v still applies; "- key" only under systemd': {
    '/etc/sysctl.d/10-g.conf': `net.netfilter.nf_conntrack_udp_timeout* = 71\n-${K3}\n-${K1} = 999\n- ${K2} = 998\n`,
  },
  '#11.8 a looping or dangling link sets nothing but still masks its name': {
    '/etc/sysctl.d/60-self.conf': { link: '60-self.conf' },
    '/usr/lib/sysctl.d/60-self.conf': `${K1} = 601\n`,
    '/etc/sysctl.d/61-a.conf': { link: '61-b.conf' },
    '/etc/sysctl.d/61-b.conf': { link: '61-a.conf' },
    '/etc/sysctl.d/62-gone.conf': { link: '/nonexistent/62-gone.conf' },
    '/usr/lib/sysctl.d/62-gone.conf': `${K2} = 602\n`,
    '/etc/sysctl.d/63-after.conf': `${K3} = 603\n`,
  },
  'slash keys, comments, a key set twice in one file': {
    '/etc/sysctl.d/40-s.conf': `# comment\n; also a comment\nnet/netfilter/nf_conntrack_tcp_timeout_established = 888\n${K2}=1\n${K2} = 2\n`,
  },
};

describe('sysctl.d precedence agrees with the real appliers', () => {
  before(requireKernelLab);

  it('model == systemd-sysctl and == sysctl --system on every generated tree', async () => {
    await withLabNamespace(async (lab) => {
      for (const [name, spec] of Object.entries(TREES)) {
        const tree = makeTree(spec);
        // resolveAtBoot is the one model persist's plan, persist --check and doctor all use.
        const boot = resolveAtBoot(await readSysctlTree(tree), KEYS);
        for (const [applier, model] of [
          ['systemd', boot.map((b) => b.systemd)],
          ['procps', boot.map((b) => b.procps)],
        ] as const) {
          const real = await realApply(lab, tree, applier);
          for (const resolution of model) {
            assert.equal(
              resolution.value ?? SENTINEL,
              real[resolution.key],
              `${name} / ${applier} / ${resolution.key}`,
            );
          }
        }
      }
    });
  });

  it('persist --fix-conflicts makes its value win under both appliers, and says which files it overrode', async () => {
    await withLabNamespace(async (lab) => {
      const tree = makeTree({
        '/etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' },
        '/etc/sysctl.conf': `# site settings\n${K1} = 444\nvm.swappiness = 10\n`,
        '/usr/lib/sysctl.d/95-vendor.conf': `${K1} = 500\n`,
        '/etc/sysctl.d/zz-late.conf': `${K4} = 90\n`,
      });
      const stateDir = mkdtempSync(join(tmpdir(), 'ctdoctor-state-'));
      const args = [
        'persist',
        '--root',
        tree,
        '--state-dir',
        stateDir,
        '--timeout',
        'tcp_timeout_established=4321',
        '--timeout',
        'udp_timeout_stream=130',
        '--json',
      ];
      const planned = JSON.parse((await runCli(args)).stdout);
      assert.ok(
        planned.plan.conflicts.some(
          (c: { path: string }) => c.path === '/etc/sysctl.d/99-sysctl.conf -> /etc/sysctl.conf',
        ),
      );
      assert.ok(
        planned.plan.conflicts.some((c: { path: string }) => c.path === '/etc/sysctl.d/zz-late.conf'),
      );
      const applied = await runCli([...args, '--fix-conflicts', '--apply']);
      assert.equal(applied.code, 0, applied.stderr);
      const plan = JSON.parse(applied.stdout).plan;
      assert.match(plan.file, /^\/etc\/sysctl\.d\/zz-late~ctdoctor\.conf$/);
      for (const row of plan.atBoot)
        assert.deepEqual([row.systemd.value, row.procps.value], [row.wanted, row.wanted], row.key);
      for (const applier of ['systemd', 'procps'] as const) {
        const real = await realApply(lab, tree, applier);
        assert.equal(real[K1], '4321', applier);
        assert.equal(real[K4], '130', applier);
      }
      assert.match(
        readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8'),
        /# net\.netfilter\.nf_conntrack_tcp_timeout_established = 444 {2}# disabled by ctdoctor/,
      );
      assert.match(readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8'), /^vm\.swappiness = 10$/m);
    });
  });
});
