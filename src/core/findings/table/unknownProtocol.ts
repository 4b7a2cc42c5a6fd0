import type { Finding } from '../../analysis/findings.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../../plan/timeoutDefaults.js';
import { asPercent, type FindingKind } from '../findingKind.js';
import { type TableReadings, type TableRule, MIN_ENTRIES, enoughEntries, percent } from './tableReadings.js';

/**
 * Protocols conntrack has no tracker for are tracked generically, each entry held
 * nf_conntrack_generic_timeout (600 s by default): a tenth of the table is worth a look.
 */
export const UNKNOWN_PROTOCOL_THRESHOLDS = { minShare: 0.1 } as const;

const COMMANDS = ['sysctl -w net.netfilter.nf_conntrack_generic_timeout=120'] as const;

export const UNKNOWN_PROTOCOL: FindingKind = {
  id: 'invalid-or-unknown',
  report: 'analyze',
  subject: 'unknown protocols',
  when: `entries of protocols without a conntrack tracker hold ≥ ${asPercent(UNKNOWN_PROTOCOL_THRESHOLDS.minShare)} of the table (and ≥ ${MIN_ENTRIES})`,
  severity: 'warn',
  evidence: ['entries', 'shareOfTable', 'protocols'],
  advice: `Entries use protocols conntrack tracks generically (nf_conntrack_generic_timeout, ${KERNEL_DEFAULT_TIMEOUTS.generic_timeout} s by default): tunnels or odd traffic. NOTRACK them if they need no state, or shorten the generic timeout.`,
  commands: COMMANDS,
};

function detectUnknownProtocol(readings: TableReadings): Finding[] {
  const { summary } = readings;
  const protocols = Object.entries(summary.by.proto).filter(([name]) => name.startsWith('unknown'));
  const unknown = protocols.reduce((sum, [, count]) => sum + count, 0);
  if (!enoughEntries(readings, unknown, UNKNOWN_PROTOCOL_THRESHOLDS.minShare)) return [];
  return [
    {
      kind: UNKNOWN_PROTOCOL.id,
      severity: 'warn',
      subject: 'unknown protocols',
      evidence: {
        entries: unknown,
        shareOfTable: percent(unknown, summary.entries),
        // by.proto is sorted, largest first; the numbers are /etc/protocols ones (4 IPIP, 50 ESP, …).
        protocols: protocols.map(([name, count]) => `${name} ${count}`).join(', '),
      },
      advice: `${unknown} entries (${protocols.map(([name]) => name).join(', ')}) use protocols conntrack tracks generically (nf_conntrack_generic_timeout, ${KERNEL_DEFAULT_TIMEOUTS.generic_timeout} s by default): tunnels or odd traffic. NOTRACK them if they need no state, or shorten the generic timeout.`,
      commands: [...COMMANDS],
    },
  ];
}

export const unknownProtocolRule: TableRule = { kinds: [UNKNOWN_PROTOCOL], detect: detectUnknownProtocol };
