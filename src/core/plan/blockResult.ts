import type { FirewallBackend } from '../firewall/firewallBackend.js';
import type { OffenderSelection } from './blockFromFindings.js';

/** A source in ctdoctor's block set, as nft or ipset lists it. */
export interface BlockedEntry {
  address: string;
  /** Seconds left before the block expires; null for a block without --ttl. */
  expiresSeconds: number | null;
}

/** What a block did: the sources now dropped and, for each, how many of its entries were flushed. */
export interface BlockResult {
  journalId: string | null;
  blocked: string[];
  flushed: Record<string, number>;
}

/** What an unblock did: the sources it removed (those that were blocked). */
export interface UnblockResult {
  journalId: string | null;
  removed: string[];
}

/** One `block` run: a listing, an unblock, or a block; each planned (result null) or applied. */
export type BlockReport =
  | { kind: 'list'; backend: FirewallBackend; entries: BlockedEntry[] }
  | { kind: 'unblock'; targets: string[]; result: UnblockResult | null }
  | {
      kind: 'block';
      backend: FirewallBackend;
      targets: string[];
      ttlSeconds: number | null;
      /** With --from-findings: whom the findings accuse, and whom the guards left out. */
      fromFindings: OffenderSelection | null;
      result: BlockResult | null;
    };
