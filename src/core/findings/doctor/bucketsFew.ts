import type { FindingKind } from '../findingKind.js';
import type { DoctorFinding, DoctorInput, HostRule } from './doctorReadings.js';

/**
 * Each entry is hashed twice (original and reply tuple), so a full table's mean chain is
 * 2 × max / buckets (KERNEL-FACTS "Hash table"). Above 2 × the chains are already twice those of the
 * 5.15+ default (one bucket per entry); from 8 × (chains of ~16, what a hashsize= module option
 * alone gives: max then defaults to 8 × hashsize) lookups walk long lists.
 */
export const BUCKETS_FEW_THRESHOLDS = {
  /** max / buckets above this: reported. */
  infoRatio: 2,
  /** max / buckets at or above this: a warning. */
  warnRatio: 8,
} as const;

export const BUCKETS_FEW: FindingKind = {
  id: 'buckets-few',
  report: 'doctor',
  when: `nf_conntrack_max is more than ${BUCKETS_FEW_THRESHOLDS.infoRatio} × nf_conntrack_buckets`,
  severity: `warn at ≥ ${BUCKETS_FEW_THRESHOLDS.warnRatio} ×, else info`,
  evidence: ['max', 'buckets'],
  advice:
    'Each entry is hashed twice (original and reply tuple). Kernels since 5.15 default to one bucket per entry; a bucket costs 8 B against ~300 B per entry.',
  commands: ['ctdoctor mitigate --max <max> --buckets <max> --apply'],
};

function detectBucketsFew(host: DoctorInput): DoctorFinding[] {
  const ratio = host.max / Math.max(host.buckets, 1);
  if (ratio <= BUCKETS_FEW_THRESHOLDS.infoRatio) return [];
  return [
    {
      id: 'buckets-few',
      severity: ratio >= BUCKETS_FEW_THRESHOLDS.warnRatio ? 'warn' : 'info',
      title: `nf_conntrack_max is ${ratio.toFixed(0)}× the buckets: a full table has hash chains of ~${(2 * ratio).toFixed(0)}`,
      evidence: { max: host.max, buckets: host.buckets },
      explanation: BUCKETS_FEW.advice,
      fix: { commands: [`ctdoctor mitigate --max ${host.max} --buckets ${host.max} --apply`] },
      netns: null,
    },
  ];
}

export const bucketsFewRule: HostRule = { kinds: [BUCKETS_FEW], detect: detectBucketsFew };
