/**
 * Where this process's memory limits live, from /proc/self/cgroup: a limit on any ancestor binds
 * too, so every directory from the process's own cgroup up to the root is listed, nearest first.
 * cgroup v2 (`0::/path`): memory.max and memory.current under /sys/fs/cgroup; v1 (`N:…memory…:/path`):
 * memory.limit_in_bytes and memory.usage_in_bytes under /sys/fs/cgroup/memory. Paths are relative
 * to the sysfs root.
 */
export interface CgroupMemoryFiles {
  limit: string;
  usage: string;
}

export function cgroupMemoryFiles(procSelfCgroup: string): CgroupMemoryFiles[] {
  let v1: string | undefined;
  let v2: string | undefined;
  for (const line of procSelfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, path] = match;
    if (controllers!.split(',').includes('memory')) v1 = path;
    else if (id === '0' && controllers === '') v2 = path;
  }
  // A hybrid host lists both; its v2 tree (/sys/fs/cgroup/unified) has no memory controller.
  if (v1 !== undefined)
    return filesUpFrom(v1, 'fs/cgroup/memory', 'memory.limit_in_bytes', 'memory.usage_in_bytes');
  if (v2 !== undefined) return filesUpFrom(v2, 'fs/cgroup', 'memory.max', 'memory.current');
  return [];
}

function filesUpFrom(path: string, base: string, limit: string, usage: string): CgroupMemoryFiles[] {
  return ancestorsOf(path).map((dir) => {
    const at = `${base}${dir === '/' ? '' : dir}`;
    return { limit: `${at}/${limit}`, usage: `${at}/${usage}` };
  });
}

function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return Array.from(
    { length: parts.length + 1 },
    (_, depth) => `/${parts.slice(0, parts.length - depth).join('/')}`,
  );
}

/** Room left under a limit; undefined when there is no limit ("max", or v1's near-2^63 "unlimited"). */
export function limitHeadroomBytes(limitText: string, usageText: string): number | undefined {
  const limit = limitText.trim();
  if (limit === 'max') return undefined;
  const bytes = Number(limit);
  if (!Number.isFinite(bytes) || bytes >= 2 ** 62) return undefined;
  return Math.max(0, bytes - Number(usageText.trim()));
}
