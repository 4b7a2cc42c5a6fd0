/** Conntrack helpers the kernel ships (net/netfilter/nf_conntrack_*.c), by module suffix. */
export const KNOWN_HELPERS = [
  'ftp',
  'tftp',
  'sip',
  'irc',
  'h323',
  'pptp',
  'amanda',
  'sane',
  'snmp',
  'netbios_ns',
  'broadcast',
] as const;

export type HelperPresence = 'module-loaded' | 'built-in' | 'absent';

export interface HelperStatus {
  name: string;
  presence: HelperPresence;
  /** Entries with helper=NAME, expectations, and rules that assign it. */
  entries: number;
  rules: string[];
  inUse: boolean;
  /**
   * Why the entries or rules could not all be read (not root, a tool that failed), or null. Without
   * them "unused" would be a guess: nothing is unloaded and no "none does" is said on one.
   */
  usageUnknown: string | null;
}

export interface HelperPlanItem {
  name: string;
  action: 'unload' | 'keep' | 'built-in' | 'absent' | 'unknown';
  reason: string;
  commands: string[];
}

export const HELPER_BLACKLIST_FILE = '/etc/modprobe.d/ctdoctor-helpers.conf';

export function planHelpers(statuses: HelperStatus[]): HelperPlanItem[] {
  return statuses.map((status) => {
    const module = `nf_conntrack_${status.name}`;
    if (status.presence === 'absent')
      return { name: status.name, action: 'absent', reason: 'not loaded and not built in', commands: [] };
    if (status.inUse) {
      return {
        name: status.name,
        action: 'keep',
        reason: `in use: ${status.entries} entries/expectations${status.rules.length ? `, assigned by ${status.rules.length} rule(s)` : ''}`,
        commands: [],
      };
    }
    if (status.presence === 'built-in') {
      return {
        name: status.name,
        action: 'built-in',
        reason: `built into the kernel: it cannot be unloaded, and only tracks traffic a rule assigns it to (ct helper / -j CT --helper); ${status.usageUnknown ? `whether one does is unknown (${status.usageUnknown})` : 'none does'}`,
        commands: [],
      };
    }
    if (status.usageUnknown) {
      return {
        name: status.name,
        action: 'unknown',
        reason: `loaded; whether anything uses it is unknown (${status.usageUnknown})`,
        commands: [],
      };
    }
    return {
      name: status.name,
      action: 'unload',
      reason: 'loaded but unused: no entries, expectations or rules use it',
      commands: [`modprobe -r ${module}`, `echo 'install ${module} /bin/false' >> ${HELPER_BLACKLIST_FILE}`],
    };
  });
}
