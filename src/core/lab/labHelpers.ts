import { CtdoctorError } from '../errors.js';
import { LAB_ENDPOINTS } from './labEndpoints.js';
import type { GeneratorKind, GeneratorSpec } from './labScenarios.js';

/**
 * A conntrack helper assigned to a port's new flows by a `ct helper set` rule in the lab
 * namespace: how helpers are switched on since kernel 6.0 removed automatic assignment
 * (nf_conntrack_helper). The helper is the kernel's own (built in or loaded); the lab never
 * loads or unloads a module, which would change the whole host.
 */
export interface LabHelper {
  /** The kernel helper's name, as `ct helper` objects spell it (ftp, tftp, sip, netbios-ns). */
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

/** Helpers a `ct helper` object can name, with the protocols the kernel registers each for. */
export const LAB_HELPER_PROTOCOLS: Readonly<Record<string, readonly ('tcp' | 'udp')[]>> = {
  ftp: ['tcp'],
  irc: ['tcp'],
  sane: ['tcp'],
  pptp: ['tcp'],
  sip: ['tcp', 'udp'],
  tftp: ['udp'],
  amanda: ['udp'],
  snmp: ['udp'],
  'netbios-ns': ['udp'],
};

/** `helpers=on` gives every flow of the workload a helper: ftp for TCP, tftp for UDP (both on every Debian kernel). */
const HELPER_FOR_PROTOCOL = { tcp: 'ftp', udp: 'tftp' } as const;

/** The service port each answered generator sends to; a scan and a flood go to the blackhole. */
const SERVICE_PORTS: Partial<Record<GeneratorKind, { port: number; protocol: 'tcp' | 'udp' }>> = {
  'short-flows': { port: LAB_ENDPOINTS.shortFlows.port, protocol: 'tcp' },
  'long-pool': { port: LAB_ENDPOINTS.longPool.port, protocol: 'tcp' },
  'udp-dns': { port: LAB_ENDPOINTS.udpDns.port, protocol: 'udp' },
  'nat-service': { port: LAB_ENDPOINTS.natService.port, protocol: 'udp' },
};

/** `ftp:8080/tcp` → the ftp helper on 8080/tcp; refused when the helper does not track that protocol. */
export function parseHelper(value: string, text: string): LabHelper {
  const match = /^([a-z-]+):(\d+)\/(tcp|udp)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535)
    throw new CtdoctorError(
      'usage',
      `--compare ${text}: helper takes NAME:PORT/tcp|udp (e.g. helper=ftp:8080/tcp), or helpers=on|off`,
    );
  const name = match[1]!;
  const protocol = match[3] as 'tcp' | 'udp';
  const protocols = LAB_HELPER_PROTOCOLS[name];
  if (!protocols)
    throw new CtdoctorError(
      'usage',
      `--compare ${text}: "${name}" is not a conntrack helper (one of ${Object.keys(LAB_HELPER_PROTOCOLS).join(', ')})`,
    );
  if (!protocols.includes(protocol))
    throw new CtdoctorError(
      'usage',
      `--compare ${text}: the ${name} helper tracks ${protocols.join('/')}, not ${protocol}`,
    );
  return { name, port, protocol };
}

/** `helpers=on`: a helper on every service port the workload sends to. */
export function helpersForWorkload(generators: readonly GeneratorSpec[]): LabHelper[] {
  const seen = new Set<string>();
  const helpers: LabHelper[] = [];
  for (const spec of generators) {
    const service = SERVICE_PORTS[spec.kind];
    if (!service || seen.has(`${service.port}/${service.protocol}`)) continue;
    seen.add(`${service.port}/${service.protocol}`);
    helpers.push({ name: HELPER_FOR_PROTOCOL[service.protocol], ...service });
  }
  return helpers;
}
