import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  KUBE_PROXY_DEFAULTS,
  type KubeProxyConntrack,
  parseKubeProxyConfig,
  parseKubeProxyFlags,
} from '../core/plan/kubeProxy.js';
import type { KeyOwnerEvidence } from '../core/plan/keyOwnerAdvice.js';
import { underRoot } from './confTree.js';
import type { HostRoots } from './roots.js';

type Found<Who extends KeyOwnerEvidence['who']> = Extract<KeyOwnerEvidence, { who: Who }>;

const text = (path: string) => readFile(path, 'utf8').catch(() => null);

async function findKubeProxy(roots: HostRoots, cpus: number): Promise<Found<'kube-proxy'> | null> {
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
    return { who: 'kube-proxy', pid, argv, config, cpus };
  }
  return null;
}

async function findTuned(root: string): Promise<Found<'tuned'> | null> {
  const active = (await text(underRoot(root, '/etc/tuned/active_profile')))?.trim();
  if (!active) return null;
  const settings: Found<'tuned'>['settings'] = [];
  for (const profile of active.split(/\s+/)) {
    for (const dir of ['/etc/tuned', '/usr/lib/tuned']) {
      const conf = await text(underRoot(root, `${dir}/${profile}/tuned.conf`));
      for (const line of conf?.split('\n') ?? [])
        if (/nf_conntrack/.test(line))
          settings.push({ path: `${dir}/${profile}/tuned.conf`, line: line.trim() });
    }
  }
  if (settings.length === 0) return null;
  return { who: 'tuned', activeProfile: active, settings };
}

async function findContainer(
  root: string,
  roots: HostRoots,
  initialNetns: boolean,
): Promise<Found<'container'> | null> {
  const markerFiles: string[] = [];
  if ((await text(underRoot(root, '/.dockerenv'))) !== null) markerFiles.push('/.dockerenv');
  if ((await text(underRoot(root, '/run/.containerenv'))) !== null) markerFiles.push('/run/.containerenv');
  const cgroup = await text(join(roots.procRoot, '1', 'cgroup'));
  const cgroupRuntime = /(docker|kubepods|containerd|crio|libpod)/.exec(cgroup ?? '')?.[1] ?? null;
  if (markerFiles.length === 0 && cgroupRuntime === null && initialNetns) return null;
  return { who: 'container', markerFiles, cgroupRuntime, initialNetns };
}

/**
 * What else on this host sets the table's size at start: a running kube-proxy, an active tuned
 * profile, a container. Evidence only; keyOwnerAdvice (core) says what it means.
 */
export async function detectKeyOwners(
  root: string,
  roots: HostRoots,
  cpus: number,
  initialNetns: boolean,
): Promise<KeyOwnerEvidence[]> {
  const found = await Promise.all([
    findKubeProxy(roots, cpus),
    findTuned(root),
    findContainer(root, roots, initialNetns),
  ]);
  return found.filter((owner) => owner !== null);
}
