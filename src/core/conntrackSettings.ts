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
