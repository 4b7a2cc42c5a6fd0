/**
 * Loopback addresses whose new flows the lab drops on input after conntrack has confirmed them, so
 * they stay SYN_SENT / UNREPLIED (a scan or flood target). An address range, not a port range: a
 * port rule would also drop SYN-ACKs to clients whose ephemeral port happens to fall inside it.
 */
export const BLACKHOLE_NET = '127.99.0.0/16';

/**
 * Where each lab generator listens and sends, all in 127.0.0.0/8 inside the lab's own namespaces
 * (the lab never sends to any other address). The syn-scan's source is the first of its own range.
 */
export const LAB_ENDPOINTS = {
  shortFlows: { server: '127.0.0.1', port: 8080 },
  longPool: { server: '127.0.0.60', port: 5432 },
  udpDns: { server: '127.0.0.53', port: 53 },
  udpFlood: { firstPort: 9000, ports: 1000 },
  natService: {
    vip: '127.0.0.80',
    port: 53,
    dying: '127.0.0.81',
    surviving: '127.0.0.82',
    backendPort: 5353,
  },
} as const;

/** The blackhole's n-th address (127.99.0.1 … 127.99.254.254): a flood's destinations. */
export function blackholeAddress(index: number): string {
  const low = (index % 254) + 1;
  const third = Math.floor(index / 254) % 255;
  return `127.99.${third}.${low}`;
}
