import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  KUBE_PROXY_DEFAULTS,
  type KubeProxyConntrack,
  kubeProxyTargetMax,
  parseKubeProxyConfig,
  parseKubeProxyFlags,
} from '../core/plan/kubeProxy.js';
import { underRoot } from './confTree.js';
import type { HostRoots } from './roots.js';

export interface KeyOwner {
  who: 'kube-proxy' | 'tuned' | 'container';
  evidence: string;
  effect: string;
  advice: string;
}

const text = (path: string) => readFile(path, 'utf8').catch(() => null);

async function findKubeProxy(roots: HostRoots, cpus: number): Promise<KeyOwner | null> {
  const pids = (await readdir(roots.procRoot).catch(() => [] as string[])).filter((name) =>
    /^\d+$/.test(name),
  );
  for (const pid of pids) {
    const cmdline = await text(join(roots.procRoot, pid, 'cmdline'));
    if (!cmdline) continue;
    const argv = cmdline.split('\0').filter(Boolean);
    if (!argv.some((arg, i) => i < 2 && arg.split('/').pop() === 'kube-proxy')) continue;
    const flags = parseKubeProxyFlags(argv);
    // The config path is in the container's mount namespace: read it through /proc/PID/root.
    const fromFile = flags.config
      ? parseKubeProxyConfig((await text(join(roots.procRoot, pid, 'root', flags.config))) ?? '')
      : {};
    const config: KubeProxyConntrack = {
      maxPerCore: flags.maxPerCore ?? fromFile.maxPerCore ?? KUBE_PROXY_DEFAULTS.maxPerCore,
      min: flags.min ?? fromFile.min ?? KUBE_PROXY_DEFAULTS.min,
      source: flags.config ? `--config ${flags.config}` : 'flags/defaults',
    };
    const target = kubeProxyTargetMax(config, cpus);
    return {
      who: 'kube-proxy',
      evidence: `pid ${pid}: ${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' …' : ''}`,
      effect:
        target === null
          ? 'conntrack.maxPerCore is 0: kube-proxy leaves nf_conntrack_max alone'
          : `at every start kube-proxy sets nf_conntrack_max to ${target} (maxPerCore ${config.maxPerCore} × ${cpus} CPUs, min ${config.min}; ${config.source}) and hashsize to max/4 if smaller, overriding sysctl.d`,
      advice:
        target === null
          ? 'sysctl.d values stick on this node'
          : 'set conntrack.maxPerCore/min in the KubeProxyConfiguration (or --conntrack-max-per-core / --conntrack-min), or maxPerCore: 0 to let sysctl.d own the value',
    };
  }
  return null;
}

async function findTuned(root: string): Promise<KeyOwner | null> {
  const active = (await text(underRoot(root, '/etc/tuned/active_profile')))?.trim();
  if (!active) return null;
  const hits: string[] = [];
  for (const profile of active.split(/\s+/)) {
    for (const dir of ['/etc/tuned', '/usr/lib/tuned']) {
      const conf = await text(underRoot(root, `${dir}/${profile}/tuned.conf`));
      for (const line of conf?.split('\n') ?? [])
        if (/nf_conntrack/.test(line)) hits.push(`${dir}/${profile}/tuned.conf: ${line.trim()}`);
    }
  }
  if (hits.length === 0) return null;
  return {
    who: 'tuned',
    evidence: hits.join('; '),
    effect: `the active tuned profile (${active}) sets conntrack values when tuned starts; with reapply_sysctl (the default) it re-applies /etc/sysctl.d and /etc/sysctl.conf afterwards, so ctdoctor's file still wins`,
    advice:
      'keep reapply_sysctl=1 in /etc/tuned/tuned-main.conf, or set the same values in a custom tuned profile',
  };
}

async function findContainer(
  root: string,
  roots: HostRoots,
  initialNetns: boolean,
): Promise<KeyOwner | null> {
  const evidence: string[] = [];
  if ((await text(underRoot(root, '/.dockerenv'))) !== null) evidence.push('/.dockerenv');
  if ((await text(underRoot(root, '/run/.containerenv'))) !== null) evidence.push('/run/.containerenv');
  const cgroup = await text(join(roots.procRoot, '1', 'cgroup'));
  const runtime = /(docker|kubepods|containerd|crio|libpod)/.exec(cgroup ?? '');
  if (runtime) evidence.push(`/proc/1/cgroup mentions ${runtime[1]}`);
  if (!initialNetns) evidence.push('not in the initial network namespace');
  if (evidence.length === 0) return null;
  if (initialNetns) {
    // Container markers, yet the host's network namespace: a privileged container, or an image that kept them.
    return {
      who: 'container',
      evidence: evidence.join(', '),
      effect:
        "container markers, but this is the host's initial network namespace: runtime changes reach the host; files written here configure the host only if this /etc is the host's",
      advice: "if this is a container, persist on the host's /etc (or mount it and use --root)",
    };
  }
  return {
    who: 'container',
    evidence: evidence.join(', '),
    effect:
      "nf_conntrack_max and buckets are global: the host's values apply here (read-only), and files written here do not configure the host",
    advice:
      "run ctdoctor persist on the host (or the node's provisioning: sysctl.d, kubelet/kube-proxy config)",
  };
}

export async function detectKeyOwners(
  root: string,
  roots: HostRoots,
  cpus: number,
  initialNetns: boolean,
): Promise<KeyOwner[]> {
  const found = await Promise.all([
    findKubeProxy(roots, cpus),
    findTuned(root),
    findContainer(root, roots, initialNetns),
  ]);
  return found.filter((owner): owner is KeyOwner => owner !== null);
}
