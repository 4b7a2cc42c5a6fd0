import type { NamespaceReadings } from './doctorReadings.js';

/** "netns 4026532246 (pod 1b2c…, nginx)" — the words an operator recognises. */
export function describeNamespace(ns: NamespaceReadings): string {
  if (ns.initial) return 'the host namespace';
  const pod = ns.processes.find((p) => p.workload.podUid)?.workload.podUid;
  const container = ns.processes.find((p) => p.workload.containerId)?.workload;
  const who = pod
    ? `pod ${pod.slice(0, 8)}`
    : container?.containerId
      ? `${container.runtime} ${container.containerId}`
      : ns.names[0]
        ? `ip netns ${ns.names[0]}`
        : null;
  const command = ns.processes[0]?.command;
  const parts = [who, command].filter(Boolean);
  return `netns ${ns.inode}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** ` --netns web` (a name, else a pid, else the path) for a command aimed at this namespace; '' on the host. */
export function netnsFlag(ns: NamespaceReadings): string {
  return ns.initial ? '' : ` --netns ${ns.names[0] ?? ns.processes[0]?.pid ?? ns.path}`;
}
