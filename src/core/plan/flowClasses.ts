/**
 * The kinds of flow `plan` sizes the table for, each named by how its entry ends: the timeout of
 * its final state decides how long the entry outlives the flow (nf_conntrack_proto_tcp.c,
 * nf_conntrack_proto_udp.c, nf_conntrack_proto_icmp.c).
 */
export const FLOW_CLASS_NAMES = [
  'tcp-short',
  'tcp-long',
  'tcp-unanswered',
  'udp-query',
  'udp-stream',
  'icmp',
] as const;

export type FlowClassName = (typeof FLOW_CLASS_NAMES)[number];
export type FlowProtocol = 'tcp' | 'udp' | 'icmp';

export interface FlowClass {
  name: FlowClassName;
  protocol: FlowProtocol;
  /** The timeout (sysctl short name, after `nf_conntrack_`) the entry waits out after the flow's last packet. */
  finalTimeout: string;
  /** Life assumed when none is given: the flow's own duration, first packet to last. */
  defaultLifeSeconds: number;
  /** What the class is, in the operator's words. */
  meaning: string;
}

export const FLOW_CLASSES: Readonly<Record<FlowClassName, FlowClass>> = {
  'tcp-short': {
    name: 'tcp-short',
    protocol: 'tcp',
    finalTimeout: 'tcp_timeout_time_wait',
    defaultLifeSeconds: 1,
    meaning: 'a TCP request/response that closes: its entry waits out TIME_WAIT',
  },
  'tcp-long': {
    name: 'tcp-long',
    protocol: 'tcp',
    finalTimeout: 'tcp_timeout_time_wait',
    defaultLifeSeconds: 3600,
    meaning: 'a kept-open TCP connection (pool, stream): held for its life, at most the established timeout',
  },
  'tcp-unanswered': {
    name: 'tcp-unanswered',
    protocol: 'tcp',
    finalTimeout: 'tcp_timeout_syn_sent',
    defaultLifeSeconds: 0,
    meaning: 'a SYN nobody answers (dead upstream, scan): SYN_SENT until its timeout',
  },
  'udp-query': {
    name: 'udp-query',
    protocol: 'udp',
    finalTimeout: 'udp_timeout',
    defaultLifeSeconds: 0,
    meaning: 'one UDP request and its answer (DNS): the UDP timeout after the last packet',
  },
  'udp-stream': {
    name: 'udp-stream',
    protocol: 'udp',
    finalTimeout: 'udp_timeout_stream',
    defaultLifeSeconds: 60,
    meaning: 'UDP with traffic both ways beyond 2 s (QUIC, RTP, VPN): ASSURED, the stream timeout',
  },
  icmp: {
    name: 'icmp',
    protocol: 'icmp',
    finalTimeout: 'icmp_timeout',
    defaultLifeSeconds: 0,
    meaning: 'an echo request and reply: the ICMP timeout',
  },
};

/**
 * An idle kept-open connection is not held past this timeout: its entry expires while ESTABLISHED
 * and never reaches TIME_WAIT.
 */
const ESTABLISHED_TIMEOUT = 'tcp_timeout_established';

export function isFlowClassName(name: string): name is FlowClassName {
  return (FLOW_CLASS_NAMES as readonly string[]).includes(name);
}

/** The timeouts a class's time held depends on (what a `--try` of each can change). */
export function timeoutsOf(flowClass: FlowClass): string[] {
  return flowClass.name === 'tcp-long'
    ? [ESTABLISHED_TIMEOUT, flowClass.finalTimeout]
    : [flowClass.finalTimeout];
}

/**
 * Seconds one flow's entry stays in the table: its life plus the timeout of its final state. A
 * kept-open TCP connection that outlives the established timeout (idle, since every packet resets
 * the timer) is held exactly that timeout: the entry expires ESTABLISHED, with no TIME_WAIT after.
 */
export function heldSeconds(
  flowClass: FlowClass,
  lifeSeconds: number,
  timeoutSeconds: (name: string) => number,
): number {
  if (flowClass.name === 'tcp-long') {
    const established = timeoutSeconds(ESTABLISHED_TIMEOUT);
    if (lifeSeconds >= established) return established;
  }
  return lifeSeconds + timeoutSeconds(flowClass.finalTimeout);
}
