/**
 * A client → router → server topology of three lab namespaces joined by veth pairs, every address
 * in 127.0.0.0/8 (the workplace rule), so forwarded and NATed traffic — a gateway, a Kubernetes
 * node — crosses a table of its own: the router's.
 *
 * What 127/8 needs off the loopback device (kernel 6.18, verified): `route_localnet` on every
 * interface (else martian source/destination), the client and server made local only for their own
 * /16 (the kernel's `local 127.0.0.0/8 dev lo` would keep every 127 address at home), and proxy ARP on
 * the router (it answers for the far side's addresses, so the ends need no gateway address).
 */
export const ROUTER_TOPOLOGY = {
  /** The clients' sources: loopbackAddress() hands these out from 127.1.0.1. */
  clientNet: '127.1.0.0/16',
  /** The lab's servers (127.0.0.1:8080, 127.0.0.53, 127.0.0.80 …). */
  serverNet: '127.0.0.0/16',
  clientLink: '127.1.0.1',
  serverLink: '127.0.255.1',
  routerClientSide: '127.254.0.1',
  routerServerSide: '127.254.0.2',
  /** Interface names: client c0 ↔ router r0, router r1 ↔ server s0. */
  links: { client: 'c0', routerClient: 'r0', routerServer: 'r1', server: 's0' },
} as const;

export type TopologyRole = 'client' | 'router' | 'server';

/** One command run inside a role's namespace (after the veth pairs exist). */
export interface TopologyStep {
  role: TopologyRole;
  command: 'ip' | 'sysctl';
  args: string[];
}

const localnet = (role: TopologyRole, devices: readonly string[]): TopologyStep[] =>
  ['all', 'default', ...devices].map((device) => ({
    role,
    command: 'sysctl',
    args: ['-qw', `net.ipv4.conf.${device}.route_localnet=1`],
  }));

/** No IPv6 link-local address on a veth: the lab holds no address outside loopback, not even fe80::. */
const noIpv6 = (role: TopologyRole, device: string): TopologyStep => ({
  role,
  command: 'sysctl',
  args: ['-qw', `net.ipv6.conf.${device}.disable_ipv6=1`],
});

/**
 * An end (client or server): lo's 127.0.0.1/8 (and the local routes for all of 127/8 it brings)
 * replaced by its own /16, the other side's /16 out of its veth.
 */
function endSteps(role: 'client' | 'server', device: string, ownNet: string, link: string, farNet: string) {
  const ip = (...args: string[]): TopologyStep => ({ role, command: 'ip', args });
  return [
    ...localnet(role, [device]),
    noIpv6(role, device),
    ip('addr', 'del', '127.0.0.1/8', 'dev', 'lo'),
    ip('route', 'add', 'local', ownNet, 'dev', 'lo', 'table', 'local'),
    ip('link', 'set', device, 'up'),
    ip('addr', 'add', `${link}/32`, 'dev', device),
    ip('route', 'add', farNet, 'dev', device, 'src', link),
  ];
}

/** Every step, in order: ends first, then the router that forwards between them. */
export function routerTopologySteps(): TopologyStep[] {
  const t = ROUTER_TOPOLOGY;
  const router = (command: 'ip' | 'sysctl', ...args: string[]): TopologyStep => ({
    role: 'router',
    command,
    args,
  });
  return [
    ...endSteps('client', t.links.client, t.clientNet, t.clientLink, t.serverNet),
    ...endSteps('server', t.links.server, t.serverNet, t.serverLink, t.clientNet),
    ...localnet('router', [t.links.routerClient, t.links.routerServer]),
    // Else the router would take every 127 address for its own and answer for both ends.
    router('ip', 'addr', 'del', '127.0.0.1/8', 'dev', 'lo'),
    router('sysctl', '-qw', 'net.ipv4.ip_forward=1'),
    ...[t.links.routerClient, t.links.routerServer].flatMap((device) => [
      noIpv6('router', device),
      router('sysctl', '-qw', `net.ipv4.conf.${device}.proxy_arp=1`),
      router('sysctl', '-qw', `net.ipv4.conf.${device}.rp_filter=0`),
      router('ip', 'link', 'set', device, 'up'),
    ]),
    router('ip', 'addr', 'add', `${t.routerClientSide}/32`, 'dev', t.links.routerClient),
    router('ip', 'addr', 'add', `${t.routerServerSide}/32`, 'dev', t.links.routerServer),
    router('ip', 'route', 'add', t.clientNet, 'dev', t.links.routerClient),
    router('ip', 'route', 'add', t.serverNet, 'dev', t.links.routerServer),
  ];
}
