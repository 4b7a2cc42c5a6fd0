import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  kubeProxyTargetMax,
  parseKubeProxyConfig,
  parseKubeProxyFlags,
} from '../../src/core/plan/kubeProxy.js';
import { undoCommand } from '../../src/cli/stateOptions.js';
import { chooseDropinName, commentOutKeys } from '../../src/core/plan/persistPlan.js';
import { globMatches, normalizeSysctlKey, parseSysctlConf } from '../../src/core/plan/sysctlConf.js';
import { kernelDefaults } from '../../src/core/plan/tableSizing.js';

describe('sysctl.d syntax', () => {
  it('normalises dotted and slashed keys as sysctl.d(5) says', () => {
    assert.equal(normalizeSysctlKey('net/netfilter/nf_conntrack_max'), 'net.netfilter.nf_conntrack_max');
    assert.equal(
      normalizeSysctlKey('net.ipv4.conf.enp3s0/200.forwarding'),
      'net.ipv4.conf.enp3s0/200.forwarding',
    );
    assert.equal(
      normalizeSysctlKey('net/ipv4/conf/enp3s0.200/forwarding'),
      'net.ipv4.conf.enp3s0/200.forwarding',
    );
  });

  it('parses dashes, exclusions, globs and comments', () => {
    const [a, b, c] = parseSysctlConf('# c\n; c\n-net.x = 1\n-net.y\nnet.*.z = 2\n', 'f');
    assert.deepEqual([a!.ignoreFailure, a!.value, b!.excludeFromGlobs, c!.glob], [true, '1', true, true]);
    assert.ok(
      globMatches('net.netfilter.nf_conntrack_udp_timeout*', 'net.netfilter.nf_conntrack_udp_timeout_stream'),
    );
    assert.ok(!globMatches('net.*', 'net.netfilter.x'), 'a * never crosses a dot');
  });
});

describe('drop-in naming and conflict fixing', () => {
  it('sorts after every file that sets the same keys', () => {
    assert.equal(chooseDropinName([]), '90-ctdoctor.conf');
    assert.equal(chooseDropinName(['50-vendor.conf']), '90-ctdoctor.conf');
    assert.equal(chooseDropinName(['99-sysctl.conf']), '99-zz-ctdoctor.conf');
    const late = chooseDropinName(['zz-late.conf']);
    assert.ok(late > 'zz-late.conf', late);
  });

  it('comments out only the conflicting lines', () => {
    const text = 'a.b = 1\nnet.netfilter.nf_conntrack_max = 5\nc.d = 2\n';
    assert.equal(
      commentOutKeys(Buffer.from(text), new Set(['net.netfilter.nf_conntrack_max']), 'f').toString(),
      'a.b = 1\n# net.netfilter.nf_conntrack_max = 5  # disabled by ctdoctor persist --fix-conflicts\nc.d = 2\n',
    );
  });
});

describe('kernel and kube-proxy sizing rules', () => {
  const GiB = 1024 ** 3;
  const v = (release: string) => ({
    major: Number(release.split('.')[0]),
    minor: Number(release.split('.')[1]),
    release,
  });

  it('follows the kernel default rule for its version', () => {
    assert.deepEqual(kernelDefaults(24 * GiB, v('6.18')), {
      buckets: 262144,
      max: 262144,
      ratio: 1,
      rule: 'kernel 6.18 (≥ 5.15): max = buckets (1:1)',
    });
    assert.equal(kernelDefaults(0.93 * GiB, v('6.1')).buckets, 7680); // a "1 GiB" VPS (MemTotal ~0.93 GiB), as reported in the field
    assert.equal(kernelDefaults(2 * GiB, v('6.1')).buckets, 65536);
    assert.deepEqual(
      [kernelDefaults(8 * GiB, v('5.4')).buckets, kernelDefaults(8 * GiB, v('5.4')).max],
      [65536, 262144],
    );
    assert.equal(kernelDefaults(8 * GiB, v('6.1'), 16384).max, 131072);
  });

  it('reads kube-proxy flags and config and predicts its max', () => {
    assert.deepEqual(
      parseKubeProxyFlags(['kube-proxy', '--conntrack-max-per-core=0', '--config', '/var/lib/kp.yaml']),
      { maxPerCore: 0, config: '/var/lib/kp.yaml' },
    );
    const config = parseKubeProxyConfig(
      'kind: KubeProxyConfiguration\nconntrack:\n  maxPerCore: 65536\n  min: 262144\nmode: iptables\n',
    );
    assert.deepEqual(config, { maxPerCore: 65536, min: 262144 });
    assert.equal(kubeProxyTargetMax({ maxPerCore: 32768, min: 131072, source: '' }, 2), 131072);
    assert.equal(kubeProxyTargetMax({ maxPerCore: 32768, min: 131072, source: '' }, 96), 1_048_576);
    assert.equal(kubeProxyTargetMax({ maxPerCore: 0, min: 131072, source: '' }, 8), null);
  });
});

describe('undo hints', () => {
  it('#11.7 name the same tree and journal as the run: --root, --state-dir, a state dir from the environment', () => {
    const saved = process.env.CTDOCTOR_STATE_DIR;
    delete process.env.CTDOCTOR_STATE_DIR;
    try {
      assert.equal(undoCommand({ root: '/' }), 'ctdoctor rollback');
      assert.equal(undoCommand({ root: '/img' }), 'ctdoctor rollback --root /img');
      assert.equal(
        undoCommand({ root: '/img', stateDir: "/tmp/it's here" }),
        `ctdoctor rollback --root /img --state-dir '/tmp/it'\\''s here'`,
      );
      process.env.CTDOCTOR_STATE_DIR = '/srv/ctd';
      assert.equal(
        undoCommand({ root: '/' }),
        'ctdoctor rollback --state-dir /srv/ctd',
        'sudo drops the variable',
      );
    } finally {
      if (saved === undefined) delete process.env.CTDOCTOR_STATE_DIR;
      else process.env.CTDOCTOR_STATE_DIR = saved;
    }
  });
});
