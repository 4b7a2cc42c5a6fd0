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
  /** null: a symlink to /dev/null (a mask), a broken link or an unreadable file. For parsing only. */
  text: string | null;
  /** The bytes on disk (`text` is their UTF-8 reading): edits are made on these, so no byte changes unasked. */
  bytes: Buffer | null;
  /** For a symlink: the file it names (e.g. 99-sysctl.conf → /etc/sysctl.conf); edits go there. */
  realPath?: string;
  /**
   * A symlink the appliers cannot open: "a symlink loop (→ x.conf)" or "a dangling symlink (→ …)".
   * It still masks its name in later directories (systemd 252 and procps 4.0.2 both, seen in
   * test/support/sysctl-sandbox.sh).
   */
  brokenLink?: string;
}

/** A sysctl.d tree as read from disk (or as a plan would leave it). */
export interface SysctlTree {
  files: ConfFile[];
  sysctlConf: ConfFile;
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

/** A value and the file:line it comes from (null, null: nothing sets it). */
export interface BootValue {
  value: string | null;
  from: string | null;
}

export function bootValueOf(resolution: KeyResolution): BootValue {
  return {
    value: resolution.value,
    from: resolution.winner ? `${resolution.winner.path}:${resolution.winner.line}` : null,
  };
}

export interface BootValues {
  key: string;
  systemd: KeyResolution;
  procps: KeyResolution;
}

/**
 * What boot sets for each key, under each applier: systemd-sysctl on systemd hosts, `sysctl
 * --system` on the others (and whenever an operator reloads by hand). The one answer persist's plan,
 * `persist --check` and doctor share: a value is safe only if both appliers set it.
 */
export function resolveAtBoot(tree: SysctlTree, keys: string[]): BootValues[] {
  const systemd = resolveKeys(effectiveFiles(tree.files, 'systemd-sysctl'), keys, 'systemd-sysctl');
  const procps = resolveKeys(
    effectiveFiles(tree.files, 'sysctl --system', tree.sysctlConf),
    keys,
    'sysctl --system',
  );
  return keys.map((key, i) => ({ key, systemd: systemd[i]!, procps: procps[i]! }));
}
