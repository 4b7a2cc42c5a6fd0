import type { FindingKind } from './findingKind.js';
import { FINDING_KINDS } from './registry.js';

/** Where docs/findings.md comes from, and how to make it again: the first lines of the page. */
export const FINDINGS_DOC_NOTICE =
  'Generated from src/core/findings/registry.ts by `npm run docs:findings`: edit the rules, not this page.';

function heading(kind: FindingKind): string {
  return kind.subject ? `### \`${kind.id}\` — subject \`${kind.subject}\`` : `### \`${kind.id}\``;
}

function evidenceText(fields: readonly string[]): string {
  if (fields.length === 0) return 'none';
  // A field name is code; a description (doctor's copy of an analyze finding) is prose.
  const code = (name: string) => (/^\w+$/.test(name) ? `\`${name}\`` : name);
  return fields
    .map((field) => (field.endsWith('?') ? `${code(field.slice(0, -1))} (sometimes)` : code(field)))
    .join(', ');
}

function kindSection(kind: FindingKind): string[] {
  const lines = [
    heading(kind),
    '',
    `- **When:** ${kind.when}.`,
    `- **Severity:** ${kind.severity}.`,
    `- **Evidence:** ${evidenceText(kind.evidence)}.`,
    `- **Advice:** ${kind.advice}`,
  ];
  if (kind.report === 'analyze')
    lines.push(
      `- **Offenders** (what \`block --from-findings\` takes): ${kind.offenders ?? 'none: it never advises blocking an address'}.`,
    );
  if (kind.commands.length > 0)
    lines.push('- **Commands:**', '', '  ```sh', ...kind.commands.map((c) => `  ${c}`), '  ```');
  else lines.push('- **Commands:** none.');
  return [...lines, ''];
}

/** docs/findings.md: every finding kind of the registry, doctor's then analyze's. */
export function renderFindingsDoc(kinds: readonly FindingKind[] = FINDING_KINDS): string {
  const report = (name: FindingKind['report']) => kinds.filter((kind) => kind.report === name);
  return [
    '# Findings',
    '',
    `<!-- ${FINDINGS_DOC_NOTICE} -->`,
    '',
    'Every finding `ctdoctor doctor` and `ctdoctor analyze` can report, in the order each lists',
    'findings of one severity (the worst severity first). In ids, subjects and commands, `<name>`',
    'is filled in from the readings and `[ … ]` appears only sometimes. Each rule is one file in',
    '`src/core/findings/` with its thresholds as named constants and its own test in',
    '`test/unit/findings/`.',
    '',
    '## doctor',
    '',
    ...report('doctor').flatMap(kindSection),
    '## analyze',
    '',
    'Shares are of the entries analysed (the whole table, or the sample of `--sample`).',
    '',
    ...report('analyze').flatMap(kindSection),
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}
