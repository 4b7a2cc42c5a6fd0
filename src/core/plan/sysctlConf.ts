/**
 * sysctl.d(5) files as systemd-sysctl and procps `sysctl --system` read them.
 * - `key = value`; blank lines and lines starting with # or ; are comments.
 * - `/` or `.` separate key parts: if the first separator is `/`, the key is a path as written,
 *   otherwise dots and slashes are interchanged (so a/b.c and a.b/c differ).
 * - `-key = value`: a failure to write is not an error.  `-key` alone: exclude key from globs.
 * - a key containing *, ? or [ is a glob; explicitly set keys are never written by a glob.
 */
export interface SysctlAssignment {
  /** Dotted key (net.netfilter.nf_conntrack_max), or the glob as written, dotted. */
  key: string;
  value: string | null;
  glob: boolean;
  /** `-key` with no value: excluded from glob matches. */
  excludeFromGlobs: boolean;
  ignoreFailure: boolean;
  /** Written `- key` (space after the dash): systemd accepts it, procps does not. */
  spacedDash: boolean;
  path: string;
  line: number;
}

/** Canonical dotted form of a key as sysctl.d(5) defines it. */
export function normalizeSysctlKey(raw: string): string {
  const key = raw.trim();
  const slash = key.indexOf('/');
  const dot = key.indexOf('.');
  if (slash >= 0 && (dot < 0 || slash < dot)) {
    // Path form: `/` separates, a literal `.` is part of a name (shown as `/` in dotted form).
    return key
      .replace(/^\/+/, '')
      .split('/')
      .map((part) => part.replace(/\./g, '/'))
      .join('.');
  }
  return key;
}

export function isGlobKey(key: string): boolean {
  return /[*?[]/.test(key);
}

export function parseSysctlConf(text: string, path: string): SysctlAssignment[] {
  const assignments: SysctlAssignment[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    let body = line;
    let dash = false;
    let spacedDash = false;
    if (body.startsWith('-')) {
      dash = true;
      spacedDash = /^-\s/.test(body);
      body = body.slice(1).trimStart();
    }
    const equals = body.indexOf('=');
    const rawKey = equals < 0 ? body : body.slice(0, equals);
    const key = normalizeSysctlKey(rawKey);
    if (key === '') return;
    const value = equals < 0 ? null : body.slice(equals + 1).trim();
    assignments.push({
      key,
      value,
      glob: isGlobKey(key),
      excludeFromGlobs: dash && value === null,
      ignoreFailure: dash,
      spacedDash,
      path,
      line: index + 1,
    });
  });
  return assignments;
}

/** glob(7) match of a dotted key against a dotted pattern (segments never span a dot). */
export function globMatches(pattern: string, key: string): boolean {
  let regex = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') regex += '[^.]*';
    else if (char === '?') regex += '[^.]';
    else if (char === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) regex += '\\[';
      else {
        regex += `[${pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else regex += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${regex}$`).test(key);
}
