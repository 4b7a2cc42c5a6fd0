/**
 * The firewall a rule goes into: nftables itself, or iptables over nf_tables or over the legacy
 * x_tables (rules of both filter packets, so ctdoctor names which one it used).
 */
export type FirewallBackend = 'nft' | 'iptables-nft' | 'iptables-legacy';
