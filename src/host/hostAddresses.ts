import { type ProtectedAddress, parseNetwork } from '../core/firewall/blockGuards.js';
import type { NetnsFiles } from './netnsFiles.js';

interface IpAddrJson {
  ifname: string;
  addr_info?: { local: string }[];
}

/** This namespace's own addresses and default gateways: never to be blocked. */
export async function localProtectedAddresses(files: NetnsFiles): Promise<ProtectedAddress[]> {
  const found: ProtectedAddress[] = [];
  const addresses = await files.run('ip', ['-j', 'addr', 'show']);
  if (addresses.exitCode === 0) {
    for (const link of JSON.parse(addresses.stdout || '[]') as IpAddrJson[]) {
      for (const info of link.addr_info ?? [])
        found.push({ network: parseNetwork(info.local), why: `this host's address on ${link.ifname}` });
    }
  }
  for (const family of ['-4', '-6']) {
    const routes = await files.run('ip', [family, '-j', 'route', 'show', 'default']);
    if (routes.exitCode !== 0) continue;
    for (const route of JSON.parse(routes.stdout || '[]') as { gateway?: string }[]) {
      if (route.gateway) found.push({ network: parseNetwork(route.gateway), why: 'the default gateway' });
    }
  }
  return found;
}
