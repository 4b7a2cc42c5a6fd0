import picocolors from 'picocolors';

/**
 * The colours every renderer uses. picocolors decides by itself when it is imported, and colours
 * whenever `CI` is set, even into a pipe, and whenever FORCE_COLOR is set, even to 0. Ours are off
 * until the CLI decides (useColor), so nothing is coloured that a user did not get on a terminal.
 */
export const pc = picocolors.createColors(false);

export function useColor(enabled: boolean): void {
  Object.assign(pc, picocolors.createColors(enabled));
}

/**
 * Whether output is coloured: --color/--no-color, else FORCE_COLOR (0 or false: no; 1, 2, 3, true
 * or empty: yes; as Node reads it, and it wins over NO_COLOR as in Node), else NO_COLOR (any
 * non-empty value: no, https://no-color.org), else only on a terminal that is not TERM=dumb.
 * Never the CI variable: a CI log is a pipe like any other.
 */
export function colorWanted(
  flag: boolean | undefined,
  env: Record<string, string | undefined>,
  stdoutIsTerminal: boolean,
): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR?.toLowerCase();
  if (force === '0' || force === 'false') return false;
  if (force === '' || force === '1' || force === '2' || force === '3' || force === 'true') return true;
  if (env.NO_COLOR) return false;
  return stdoutIsTerminal && env.TERM !== 'dumb';
}
