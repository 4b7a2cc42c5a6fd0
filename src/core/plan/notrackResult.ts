import type { FirewallBackend } from '../firewall/firewallBackend.js';
import type { NotrackSpec } from '../firewall/notrackRules.js';
import type { RulesetConcern } from '../firewall/rulesetReview.js';

/** How many live entries match a filter, out of how many: the effect of exempting them. */
export interface PortShare {
  entries: number;
  total: number;
}

/** What an apply of firewall rules changed: one journal entry, or none when nothing was to change. */
export interface FirewallChange {
  journalId: string | null;
  /** The rules added (or removed), as the plan described them. */
  changed: string[];
}

/** One `notrack` run: the rules it plans, what the ruleset says against them, and what it did. */
export interface NotrackResult {
  spec: NotrackSpec;
  backend: FirewallBackend;
  /** The namespace the rules are for, as given; null for ctdoctor's own. */
  netnsPath: string | null;
  /** add: exempt the port; remove: delete ctdoctor's rules for it (--remove). */
  mode: 'add' | 'remove';
  steps: { description: string; present: boolean }[];
  concerns: RulesetConcern[];
  /** The port's share of the live table now; null when the table could not be read. */
  effect: PortShare | null;
  /** A concern refused the change (and neither --force nor --remove overrode it). */
  refused: boolean;
  /** null: the plan only (no --apply, or refused). */
  change: FirewallChange | null;
}
