import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keyOwnerAdvice } from '../../../src/core/plan/keyOwnerAdvice.js';
import { detectKeyOwners } from '../../../src/host/keyOwners.js';
import { fixture } from '../../support/paths.js';
import { makeTree } from '../../support/sysctlTrees.js';

/** The captured /proc tree with processes added: pid → its argv, and PID 1's cgroup. */
function procWith(processes: Record<string, string[]>, cgroup: string): string {
  const proc = mkdtempSync(join(tmpdir(), 'ctdoctor-proc-'));
  cpSync(fixture('proc-6.18-full'), proc, { recursive: true });
  for (const [pid, argv] of Object.entries(processes)) {
    mkdirSync(join(proc, pid), { recursive: true });
    writeFileSync(join(proc, pid, 'cmdline'), `${argv.join('\0')}\0`);
  }
  mkdirSync(join(proc, '1'), { recursive: true });
  writeFileSync(join(proc, '1', 'cgroup'), cgroup);
  return proc;
}

/** kube-proxy as kubeadm starts it: its conntrack settings in a KubeProxyConfiguration file. */
const KUBEADM_KUBE_PROXY = [
  '/usr/local/bin/kube-proxy',
  '--config=/var/lib/kube-proxy/config.conf',
  '--hostname-override=node-1',
];

async function ownersOn(procRoot: string, root: string, initialNetns: boolean) {
  const found = await detectKeyOwners(root, { procRoot, sysRoot: join(procRoot, 'sys') }, 8, initialNetns);
  return found.map(keyOwnerAdvice);
}

describe('who else sets the table size: evidence from the host, advice from core', () => {
  it('kube-proxy with its config file: the max it sets at every start, and how to hand the key back', async () => {
    const proc = procWith({ '4242': KUBEADM_KUBE_PROXY }, '0::/init.scope\n');
    mkdirSync(join(proc, '4242', 'root', 'var', 'lib', 'kube-proxy'), { recursive: true });
    writeFileSync(
      join(proc, '4242', 'root', 'var', 'lib', 'kube-proxy', 'config.conf'),
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nconntrack:\n  maxPerCore: 65536\n  min: 131072\nmode: iptables\n',
    );
    const [owner] = await ownersOn(proc, makeTree({}), true);
    assert.equal(owner?.who, 'kube-proxy');
    assert.equal(
      owner.evidence,
      'pid 4242: /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=node-1',
    );
    assert.equal(
      owner.effect,
      'at every start kube-proxy sets nf_conntrack_max to 524288 (maxPerCore 65536 × 8 CPUs, min 131072; --config /var/lib/kube-proxy/config.conf) and hashsize to max/4 if smaller, overriding sysctl.d',
    );
    assert.match(owner.advice, /maxPerCore: 0 to let sysctl.d own the value$/);
  });

  it('kube-proxy with maxPerCore 0 leaves the key alone: sysctl.d values stick', () => {
    const owner = keyOwnerAdvice({
      who: 'kube-proxy',
      pid: '77',
      argv: ['kube-proxy', '--conntrack-max-per-core=0', '--conntrack-min=0', '--v=2', '--proxy-mode=ipvs'],
      config: { maxPerCore: 0, min: 0, source: 'flags/defaults' },
      cpus: 4,
    });
    assert.equal(owner.evidence, 'pid 77: kube-proxy --conntrack-max-per-core=0 --conntrack-min=0 --v=2 …');
    assert.equal(owner.effect, 'conntrack.maxPerCore is 0: kube-proxy leaves nf_conntrack_max alone');
    assert.equal(owner.advice, 'sysctl.d values stick on this node');
  });

  it('an active tuned profile and container markers in the initial namespace: named with their files', async () => {
    const root = makeTree({
      '/etc/tuned/active_profile': 'network-throughput\n',
      '/usr/lib/tuned/network-throughput/tuned.conf':
        '[main]\ninclude=throughput-performance\n[sysctl]\nnet.netfilter.nf_conntrack_max=1048576\n',
      '/.dockerenv': '',
    });
    const owners = await ownersOn(procWith({}, '0::/system.slice/docker-4f2a.scope\n'), root, true);
    assert.deepEqual(
      owners.map((owner) => owner.who),
      ['tuned', 'container'],
    );
    const [tuned, container] = owners;
    assert.equal(
      tuned!.evidence,
      '/usr/lib/tuned/network-throughput/tuned.conf: net.netfilter.nf_conntrack_max=1048576',
    );
    assert.match(tuned!.effect, /^the active tuned profile \(network-throughput\) sets conntrack values/);
    assert.equal(container!.evidence, '/.dockerenv, /proc/1/cgroup mentions docker');
    assert.match(container!.effect, /but this is the host's initial network namespace/);
  });

  it("a child namespace: the host's values apply, persist on the host", async () => {
    const [owner] = await ownersOn(procWith({}, '0::/init.scope\n'), makeTree({}), false);
    assert.equal(owner?.evidence, 'not in the initial network namespace');
    assert.match(owner.effect, /^nf_conntrack_max and buckets are global: the host's values apply here/);
    assert.match(owner.advice, /^run ctdoctor persist on the host/);
  });

  it('a plain host: nobody else owns the keys', async () => {
    assert.deepEqual(await ownersOn(procWith({}, '0::/init.scope\n'), makeTree({}), true), []);
  });
});
