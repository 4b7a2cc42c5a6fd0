/** A hash bucket is one `struct hlist_nulls_head`: a single pointer on 64-bit kernels. */
export const BUCKET_BYTES = 8;

/**
 * Used when /proc/slabinfo is unreadable (not root) or has no nf_conntrack cache yet.
 * sizeof(struct nf_conn) is 256 B on 6.x x86_64 (seen in slabinfo); extensions (acct, timestamp,
 * NAT, helper, labels) are allocated separately, so a whole entry costs ~300–400 B. 320 is the
 * middle of that range.
 */
export const FALLBACK_ENTRY_BYTES = 320;

export interface EntrySize {
  bytes: number;
  source: 'slabinfo' | 'estimate';
}

export function tableMemoryBytes(entries: number, buckets: number, entryBytes: number): number {
  return entries * entryBytes + buckets * BUCKET_BYTES;
}

/**
 * What one namespace's entries take. No buckets: the hash table is one host-wide allocation, not
 * any namespace's to be charged.
 */
export function namespaceMemoryBytes(entries: number, entryBytes: number): number {
  return tableMemoryBytes(entries, 0, entryBytes);
}
