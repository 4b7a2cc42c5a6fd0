import type { Severity } from '../../analysis/findings.js';

/**
 * A finding drawn from the statistics counters alone, so `status` (one namespace, two samples) and
 * `doctor` (every namespace) report the same thing from one builder. doctor adds the namespace's
 * inode (DoctorFinding); status carries it in its report.
 */
export interface CounterFinding {
  id: string;
  severity: Severity;
  title: string;
  evidence: Record<string, string | number>;
  explanation: string;
  fix: { commands: string[] };
}

/** The namespace a counter finding is about, as its title names it and its commands reach it. */
export interface CounterFindingPlace {
  inode: number;
  initial: boolean;
  /** "netns 4026532246 (ip netns web, nginx)", "the host namespace". */
  label: string;
  /** An `ip netns` name, when it has one: `ip netns exec NAME` reaches it. */
  name?: string | undefined;
  /** A file that refers to it (/run/netns/NAME, /proc/PID/ns/net): `nsenter --net=PATH` reaches it. */
  path: string;
}

/**
 * The prefix that runs a command inside the namespace ('' in the host namespace): run as printed on
 * the host, a sysctl or a flush would change the host's own namespace (its sysctls are per netns).
 */
export function insideNamespace(place: Pick<CounterFindingPlace, 'initial' | 'name' | 'path'>): string {
  if (place.initial) return '';
  return place.name ? `ip netns exec ${place.name} ` : `nsenter --net=${place.path} `;
}

/** How the registry writes that prefix in a command template. */
export const INSIDE_TEMPLATE = '[<ip netns exec name | nsenter --net=path> ]';
