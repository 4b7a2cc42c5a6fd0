/** Every nf_conntrack_* sysctl of one namespace, read at once. */
export interface ConntrackSettings {
  count: number;
  max: number;
  buckets: number;
  expectMax?: number;
  acct?: number;
  timestamp?: number;
  helper?: number;
  /** Every *timeout* key by its short name (tcp_timeout_established, udp_timeout, ...), seconds. */
  timeouts: Record<string, number>;
  /** Every nf_conntrack_* key by short name (all of them are numbers). */
  all: Record<string, number>;
}

/** The namespace's settings invalid-heavy changes and restores, when they could be read (per netns). */
export interface InvalidLogging {
  /** net.netfilter.nf_conntrack_log_invalid now, to restore after the minute of logging. */
  logInvalid: number | null;
  /** net.netfilter.nf_conntrack_tcp_be_liberal now (1: out-of-window packets are already accepted). */
  tcpBeLiberal: number | null;
}

/** The two of the namespace's settings invalid-heavy's commands change and restore. */
export function invalidLoggingOf(settings: ConntrackSettings | null): InvalidLogging {
  return {
    logInvalid: settings?.all.log_invalid ?? null,
    tcpBeLiberal: settings?.all.tcp_be_liberal ?? null,
  };
}
