/**
 * Kernel default conntrack timeouts in seconds (Documentation/networking/nf_conntrack-sysctl.rst,
 * nf_conntrack_proto_*.c), by sysctl short name (after `nf_conntrack_`).
 */
export const KERNEL_DEFAULT_TIMEOUTS: Readonly<Record<string, number>> = {
  tcp_timeout_established: 432000,
  tcp_timeout_syn_sent: 120,
  tcp_timeout_syn_recv: 60,
  tcp_timeout_fin_wait: 120,
  tcp_timeout_close_wait: 60,
  tcp_timeout_last_ack: 30,
  tcp_timeout_time_wait: 120,
  tcp_timeout_close: 10,
  tcp_timeout_max_retrans: 300,
  tcp_timeout_unacknowledged: 300,
  udp_timeout: 30,
  udp_timeout_stream: 120,
  icmp_timeout: 30,
  icmpv6_timeout: 30,
  generic_timeout: 600,
  gre_timeout: 30,
  gre_timeout_stream: 180,
};
