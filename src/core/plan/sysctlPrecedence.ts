import { type SysctlAssignment, globMatches, parseSysctlConf } from './sysctlConf.js';

export type SysctlApplier = 'systemd-sysctl' | 'sysctl --system';

/**
 * Directories in precedence order (sysctl.d(5), procps sysctl(8)). A file name in an earlier
 * directory masks the same name in later ones; /lib/sysctl.d is read only where /lib is not /usr/lib.
 */
export const SYSCTL_DIRS = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
];
/** procps reads /etc/sysctl.conf after every sysctl.d file; systemd-sysctl does not read it at all. */
export const SYSCTL_CONF = '/etc/sysctl.conf';

export interface ConfFile {
  dir: string;
  name: string;
  path: string;
  /** null: a symlink to /dev/null (a mask) or an unreadable file. */
  text: string | null;
  /** For a symlink: the file it names (e.g. 99-sysctl.conf → /etc/sysctl.conf); edits go there. */
  realPath?: string;
}

/** Files in the order the applier reads them, after masking by name. */
export function effectiveFiles(files: ConfFile[], applier: SysctlApplier, confFile?: ConfFile): ConfFile[] {
  const byName = new Map<string, ConfFile>();
  for (const dir of SYSCTL_DIRS) {
    for (const file of files.filter(
      (candidate) => candidate.dir === dir && candidate.name.endsWith('.conf'),
    )) {
      if (!byName.has(file.name)) byName.set(file.name, file);
    }
  }
  const ordered = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (applier === 'sysctl --system' && confFile) ordered.push(confFile);
  return ordered;
}

export interface KeyResolution {
  key: string;
  /** The value written at boot, or null if nothing sets the key. */
  value: string | null;
  winner: SysctlAssignment | null;
  /** Every assignment of the key (explicit or through a glob), in reading order. */
  assignments: SysctlAssignment[];
}

/**
 * The value each key gets. Both appliers keep the last explicit assignment of a key, never let a glob
 * override an explicit key, and honour `-key` (exclude from globs); only systemd-sysctl accepts the
 * spaced `- key = v`. Verified against systemd 252 and procps-ng 4.0.2 by
 * test/kernel/sysctlPrecedence.test.ts.
 */
export function resolveKeys(files: ConfFile[], keys: string[], applier: SysctlApplier): KeyResolution[] {
  const assignments = files
    .flatMap((file) => (file.text === null ? [] : parseSysctlConf(file.text, file.path)))
    .filter((a) => applier === 'systemd-sysctl' || !a.spacedDash);
  return keys.map((key) => {
    const relevant = assignments.filter(
      (a) => a.value !== null && (a.glob ? globMatches(a.key, key) : a.key === key),
    );
    const explicit = relevant.filter((a) => !a.glob).at(-1);
    const excluded = assignments.some((a) => a.excludeFromGlobs && a.key === key);
    const winner = explicit ?? (excluded ? null : (relevant.filter((a) => a.glob).at(-1) ?? null));
    return { key, value: winner?.value ?? null, winner, assignments: relevant };
  });
}
