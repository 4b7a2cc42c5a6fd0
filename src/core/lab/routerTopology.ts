import { CtdoctorError } from '../errors.js';
import { BLACKHOLE_NET } from './labEndpoints.js';

/**
 * A client → router → server topology of three lab namespaces joined by veth pairs, every address
 * in 127.0.0.0/8 (the workplace rule), so forwarded and NATed traffic — a gateway, a Kubernetes
 * node — crosses a table of its own: the router's.
 *
 * What 127/8 needs off the loopback device (kernel 6.18, verified): `route_localnet` on every
 * interface (else martian source/destination, and ARP for a 127 address is ignored), and the client
 * and server made local only for their own /16 (the kernel's `local 127.0.0.0/8 dev lo` would keep
 * every 127 address at home). Every route goes through the far end of its link (`onlink`), never
 * "out of the device": the neighbour table is one for all namespaces and would otherwise hold an
 * entry per client source.
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

export const LAB_TOPOLOGIES = ['single', 'router'] as const;
export type LabTopology = (typeof LAB_TOPOLOGIES)[number];

export const LAB_TOPOLOGY_MEANING: Readonly<Record<LabTopology, string>> = {
  single: "clients and servers in one namespace, whose table is measured (a host's own traffic)",
  router:
    "clients and servers in namespaces of their own that track nothing, joined through a router namespace whose table is measured (a gateway, a Kubernetes node's forwarded and DNATed traffic)",
};

/** `--topology`: one of LAB_TOPOLOGIES. */
export function parseLabTopology(text: string): LabTopology {
  if (!(LAB_TOPOLOGIES as readonly string[]).includes(text))
    throw new CtdoctorError(
      'usage',
      `--topology "${text}" is not a lab topology: use ${LAB_TOPOLOGIES.join(' or ')}`,
    );
  return text as LabTopology;
}

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

/**
 * No IPv6 link-local address on a veth (the lab holds no address outside loopback, not even fe80::),
 * and ARP asks from the link's own address: else each client source that happens to trigger a
 * request would leave a neighbour entry for itself on the router.
 */
const linkDevice = (role: TopologyRole, device: string): TopologyStep[] =>
  [`net.ipv6.conf.${device}.disable_ipv6=1`, `net.ipv4.conf.${device}.arp_announce=2`].map((setting) => ({
    role,
    command: 'sysctl',
    args: ['-qw', setting],
  }));

interface EndLayout {
  role: 'client' | 'server';
  device: string;
  link: string;
  gateway: string;
  /** Made local on lo (each an `ip route add local`). */
  ownNets: readonly string[];
  /** Routed to the router. */
  farNets: readonly string[];
}

/** An end: lo's 127.0.0.1/8 (and the local routes for all of 127/8 it brings) replaced by its own nets. */
function endSteps({ role, device, link, gateway, ownNets, farNets }: EndLayout): TopologyStep[] {
  const ip = (...args: string[]): TopologyStep => ({ role, command: 'ip', args });
  return [
    ...localnet(role, [device]),
    ...linkDevice(role, device),
    ip('addr', 'del', '127.0.0.1/8', 'dev', 'lo'),
    ...ownNets.map((net) => ip('route', 'add', 'local', net, 'dev', 'lo', 'table', 'local')),
    ip('link', 'set', device, 'up'),
    ip('addr', 'add', `${link}/32`, 'dev', device),
    ...farNets.map((net) => ip('route', 'add', net, 'via', gateway, 'dev', device, 'onlink', 'src', link)),
  ];
}

/**
 * Every step, in order: ends first, then the router that forwards between them. The blackhole
 * (127.99/16, never answered) lives on the server side, so the router confirms the flows to it —
 * floods and scans fill the router's table, as they would a gateway's.
 */
export function routerTopologySteps(): TopologyStep[] {
  const t = ROUTER_TOPOLOGY;
  const router = (command: 'ip' | 'sysctl', ...args: string[]): TopologyStep => ({
    role: 'router',
    command,
    args,
  });
  return [
    ...endSteps({
      role: 'client',
      device: t.links.client,
      link: t.clientLink,
      gateway: t.routerClientSide,
      ownNets: [t.clientNet],
      farNets: [t.serverNet, BLACKHOLE_NET],
    }),
    ...endSteps({
      role: 'server',
      device: t.links.server,
      link: t.serverLink,
      gateway: t.routerServerSide,
      ownNets: [t.serverNet, BLACKHOLE_NET],
      farNets: [t.clientNet],
    }),
    ...localnet('router', [t.links.routerClient, t.links.routerServer]),
    // Else the router would take every 127 address for its own and answer for both ends.
    router('ip', 'addr', 'del', '127.0.0.1/8', 'dev', 'lo'),
    router('sysctl', '-qw', 'net.ipv4.ip_forward=1'),
    ...[t.links.routerClient, t.links.routerServer].flatMap((device) => [
      ...linkDevice('router', device),
      router('sysctl', '-qw', `net.ipv4.conf.${device}.rp_filter=0`),
      router('ip', 'link', 'set', device, 'up'),
    ]),
    router('ip', 'addr', 'add', `${t.routerClientSide}/32`, 'dev', t.links.routerClient),
    router('ip', 'addr', 'add', `${t.routerServerSide}/32`, 'dev', t.links.routerServer),
    router('ip', 'route', 'add', t.clientNet, 'via', t.clientLink, 'dev', t.links.routerClient, 'onlink'),
    ...[t.serverNet, BLACKHOLE_NET].map((net) =>
      router('ip', 'route', 'add', net, 'via', t.serverLink, 'dev', t.links.routerServer, 'onlink'),
    ),
  ];
}
