/**
 * Where each lab generator listens and sends, all in 127.0.0.0/8 inside the lab's own namespace
 * (the lab never sends to any other address). 127.99.0.0/16 is the lab ruleset's blackhole: new
 * flows to it are dropped on input after conntrack has confirmed them, so they stay UNREPLIED.
 */
export const LAB_ENDPOINTS = {
  shortFlows: { server: '127.0.0.1', port: 8080 },
  longPool: { server: '127.0.0.60', port: 5432 },
  udpDns: { server: '127.0.0.53', port: 53 },
  udpFlood: { firstPort: 9000, ports: 1000 },
  synScan: { source: '127.0.0.66' },
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
