/** Who runs in a namespace, read from a process's /proc/PID/cgroup. */
export interface WorkloadIdentity {
  runtime: 'docker' | 'containerd' | 'cri-o' | 'podman' | 'kubernetes' | null;
  containerId: string | null;
  podUid: string | null;
}

const CONTAINER_PATTERNS: [WorkloadIdentity['runtime'], RegExp][] = [
  ['cri-o', /crio-([0-9a-f]{12,64})/],
  ['containerd', /cri-containerd-([0-9a-f]{12,64})/],
  ['podman', /libpod-([0-9a-f]{12,64})/],
  ['docker', /docker[-/]([0-9a-f]{12,64})/],
];

export function identifyWorkload(cgroup: string): WorkloadIdentity {
  let runtime: WorkloadIdentity['runtime'] = null;
  let containerId: string | null = null;
  for (const [name, pattern] of CONTAINER_PATTERNS) {
    const match = pattern.exec(cgroup);
    if (match) {
      runtime = name;
      containerId = match[1]!.slice(0, 12);
      break;
    }
  }
  // kubepods-besteffort-pod<uid with _>.slice or /kubepods/burstable/pod<uid>/
  const pod = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/.exec(cgroup);
  const podUid = pod ? pod[1]!.replace(/_/g, '-') : null;
  if (podUid && runtime === null) runtime = 'kubernetes';
  return { runtime, containerId, podUid };
}
