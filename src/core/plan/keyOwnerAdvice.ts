import { type KubeProxyConntrack, kubeProxyTargetMax } from './kubeProxy.js';

/** Something on the host that sets the table's size besides sysctl.d, as found: facts, no advice. */
export type KeyOwnerEvidence =
  | {
      who: 'kube-proxy';
      pid: string;
      argv: string[];
      /** Its conntrack settings: flags, else its --config file, else kube-proxy's defaults. */
      config: KubeProxyConntrack;
      cpus: number;
    }
  | {
      who: 'tuned';
      activeProfile: string;
      /** Each line of an active profile's tuned.conf that mentions nf_conntrack. */
      settings: { path: string; line: string }[];
    }
  | {
      who: 'container';
      /** Container marker files present (/.dockerenv, /run/.containerenv). */
      markerFiles: string[];
      /** The container runtime /proc/1/cgroup names, if any. */
      cgroupRuntime: string | null;
      initialNetns: boolean;
    };

/** Who else sets the table's size, what that does to ctdoctor's values, and how to live with it. */
export interface KeyOwner {
  who: KeyOwnerEvidence['who'];
  evidence: string;
  effect: string;
  advice: string;
}

export function keyOwnerAdvice(found: KeyOwnerEvidence): KeyOwner {
  switch (found.who) {
    case 'kube-proxy':
      return kubeProxyAdvice(found);
    case 'tuned':
      return {
        who: 'tuned',
        evidence: found.settings.map(({ path, line }) => `${path}: ${line}`).join('; '),
        effect: `the active tuned profile (${found.activeProfile}) sets conntrack values when tuned starts; with reapply_sysctl (the default) it re-applies /etc/sysctl.d and /etc/sysctl.conf afterwards, so ctdoctor's file still wins`,
        advice:
          'keep reapply_sysctl=1 in /etc/tuned/tuned-main.conf, or set the same values in a custom tuned profile',
      };
    case 'container':
      return containerAdvice(found);
  }
}

function kubeProxyAdvice(found: Extract<KeyOwnerEvidence, { who: 'kube-proxy' }>): KeyOwner {
  const { argv, config, cpus } = found;
  const target = kubeProxyTargetMax(config, cpus);
  return {
    who: 'kube-proxy',
    evidence: `pid ${found.pid}: ${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' …' : ''}`,
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

function containerAdvice(found: Extract<KeyOwnerEvidence, { who: 'container' }>): KeyOwner {
  const evidence = [
    ...found.markerFiles,
    ...(found.cgroupRuntime ? [`/proc/1/cgroup mentions ${found.cgroupRuntime}`] : []),
    ...(found.initialNetns ? [] : ['not in the initial network namespace']),
  ].join(', ');
  // Container markers, yet the host's network namespace: a privileged container, or an image that kept them.
  if (found.initialNetns)
    return {
      who: 'container',
      evidence,
      effect:
        "container markers, but this is the host's initial network namespace: runtime changes reach the host; files written here configure the host only if this /etc is the host's",
      advice: "if this is a container, persist on the host's /etc (or mount it and use --root)",
    };
  return {
    who: 'container',
    evidence,
    effect:
      "nf_conntrack_max and buckets are global: the host's values apply here (read-only), and files written here do not configure the host",
    advice:
      "run ctdoctor persist on the host (or the node's provisioning: sysctl.d, kubelet/kube-proxy config)",
  };
}
