/**
 * kube-proxy's conntrack sizing at start (pkg/proxy/conntrack, defaults in apis/config/v1alpha1):
 * max = maxPerCore × CPUs, at least `min`; maxPerCore 0 leaves the kernel alone. Since 1.36 the
 * scaled value is capped at 1,048,576; it sets hashsize to max/4 when smaller; it may lower max
 * (only versions from 2026-09 raise-only).
 */
export const KUBE_PROXY_DEFAULTS = { maxPerCore: 32768, min: 131072 } as const;
export const KUBE_PROXY_SCALED_CAP = 1_048_576;

export interface KubeProxyConntrack {
  maxPerCore: number;
  min: number;
  source: string;
}

export function kubeProxyTargetMax(config: KubeProxyConntrack, cpus: number): number | null {
  if (config.maxPerCore === 0) return null;
  const scaled = Math.min(config.maxPerCore * cpus, KUBE_PROXY_SCALED_CAP);
  return Math.max(scaled, config.min);
}

/** Reads --conntrack-max-per-core / --conntrack-min flags (both `--f=v` and `--f v`). */
export function parseKubeProxyFlags(
  argv: string[],
): Partial<Pick<KubeProxyConntrack, 'maxPerCore' | 'min'>> & { config?: string } {
  const result: Partial<Pick<KubeProxyConntrack, 'maxPerCore' | 'min'>> & { config?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2);
    const value = inline ?? argv[i + 1];
    if (value === undefined) continue;
    if (flag === '--conntrack-max-per-core') result.maxPerCore = Number(value);
    else if (flag === '--conntrack-min') result.min = Number(value);
    else if (flag === '--config') result.config = value;
  }
  return result;
}

/** The `conntrack:` block of a KubeProxyConfiguration (YAML), read line by line: no YAML dependency. */
export function parseKubeProxyConfig(text: string): Partial<Pick<KubeProxyConntrack, 'maxPerCore' | 'min'>> {
  const result: Partial<Pick<KubeProxyConntrack, 'maxPerCore' | 'min'>> = {};
  let inConntrack = false;
  let indent = -1;
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const depth = line.length - line.trimStart().length;
    if (/^\s*conntrack:\s*$/.test(line)) {
      inConntrack = true;
      indent = depth;
      continue;
    }
    if (inConntrack && depth <= indent) inConntrack = false;
    if (!inConntrack) continue;
    const match = /^\s*(maxPerCore|min):\s*(\d+)/.exec(line);
    if (match) result[match[1] as 'maxPerCore' | 'min'] = Number(match[2]);
  }
  return result;
}
