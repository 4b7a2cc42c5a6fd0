/** One instruction of a Containerfile: its keyword (upper case), its text after it, and its line. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** The instructions of the Containerfile format (Dockerfile reference; buildah and podman take the same). */
const KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/**
 * Splits a Containerfile into instructions: comments and blank lines dropped, lines ending in a
 * backslash joined to the next (a comment line inside a continued one is skipped, as the builders
 * do). Throws on an unknown keyword, so a typo fails a test instead of a build nobody runs.
 */
export function parseContainerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (pending === undefined && line.trim() === '')) return;
    const joined = pending ? `${pending.text} ${line.trim()}` : line.trim();
    const start = pending?.line ?? index + 1;
    if (joined.endsWith('\\')) {
      pending = { text: joined.slice(0, -1).trimEnd(), line: start };
      return;
    }
    pending = undefined;
    const match = /^(\S+)\s*(.*)$/.exec(joined)!;
    const keyword = match[1]!.toUpperCase();
    if (!KEYWORDS.has(keyword)) throw new Error(`line ${start}: unknown instruction ${match[1]}`);
    instructions.push({ keyword, args: match[2]!, line: start });
  });
  if (pending) throw new Error(`line ${pending.line}: a continued line never ends`);
  return instructions;
}
