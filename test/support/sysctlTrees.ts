import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LabNamespace } from '../../src/lab/labNamespace.js';
import { REPO_ROOT } from './paths.js';

export const K1 = 'net.netfilter.nf_conntrack_tcp_timeout_established';
export const K2 = 'net.netfilter.nf_conntrack_tcp_timeout_close_wait';
export const K3 = 'net.netfilter.nf_conntrack_udp_timeout';
export const K4 = 'net.netfilter.nf_conntrack_udp_timeout_stream';
export const KEYS = [K1, K2, K3, K4];
/** The sandbox writes this to every key before the applier runs: "nothing set it". */
export const SENTINEL = '7';

/** path → file content, or { link } for a symlink. */
export type TreeSpec = Record<string, string | { link: string }>;

export function makeTree(spec: TreeSpec): string {
  const root = mkdtempSync(join(tmpdir(), 'ctdoctor-tree-'));
  for (const dir of ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d'])
    mkdirSync(join(root, dir), { recursive: true });
  for (const [path, content] of Object.entries(spec)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    if (typeof content === 'string') writeFileSync(join(root, path), content);
    else symlinkSync(content.link, join(root, path));
  }
  return root;
}

/** What the real applier leaves in each key, run over `tree` inside the lab namespace. */
export async function realApply(
  lab: LabNamespace,
  tree: string,
  applier: 'systemd' | 'procps',
): Promise<Record<string, string>> {
  const script = join(REPO_ROOT, 'test', 'support', 'sysctl-sandbox.sh');
  const output = await lab.execChecked('unshare', [
    '--mount',
    '--propagation',
    'private',
    'bash',
    script,
    tree,
    applier,
    ...KEYS,
  ]);
  return Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
}
