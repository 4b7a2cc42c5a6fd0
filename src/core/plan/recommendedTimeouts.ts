/**
 * The recommended profile: kube-proxy's default tcp_timeout_established (24 h, a fifth of the
 * kernel's 5 days), which large fleets run; every other timeout stays at the kernel default, whose
 * values are already short.
 */
export const RECOMMENDED_TIMEOUTS: Readonly<Record<string, number>> = { tcp_timeout_established: 86400 };

/** The basis of RECOMMENDED_TIMEOUTS, printed under the table and in `--json` as `basis`. */
export const RECOMMENDATION_BASIS = 'kube-proxy default for established (24 h); kernel defaults elsewhere';
