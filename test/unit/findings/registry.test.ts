import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detectTableFindings } from '../../../src/core/analysis/tableDetectors.js';
import { buildDoctorFindings } from '../../../src/core/doctor/doctorFindings.js';
import {
  FINDING_KINDS,
  HOST_RULES,
  NAMESPACE_RULES,
  TABLE_RULES,
} from '../../../src/core/findings/registry.js';
import { TABLE_SCENARIOS } from '../../../src/lab/tableScenarios.js';
import {
  CAPTURED_TABLE_FULL,
  assertDocumentedDoctorFinding,
  assertDocumentedTableFinding,
  doctorInput,
  matchesTemplate,
  namespaceReadings,
  statusOf,
  summarize,
  tableEntries,
} from '../../support/findings.js';
import { SCHEMA_DIR } from '../../support/schemas.js';

const tableKinds = TABLE_RULES.flatMap((rule) => rule.kinds);

describe('the finding registry', () => {
  it('lists every rule once, each kind with its rule in words', () => {
    const rules = [...TABLE_RULES, ...NAMESPACE_RULES, ...HOST_RULES];
    assert.equal(new Set(rules).size, rules.length);
    const names = FINDING_KINDS.map((kind) => `${kind.id} ${kind.subject ?? ''}`);
    assert.equal(new Set(names).size, names.length, 'a kind listed twice');
    for (const kind of FINDING_KINDS) {
      for (const field of ['when', 'severity', 'advice'] as const)
        assert.ok(kind[field].length > 0, `${kind.id}: no ${field}`);
    }
  });

  it("analyze's JSON schema takes every table kind, and no other", () => {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, 'analyze.v1.schema.json'), 'utf8'));
    const kinds: string[] = schema.definitions.finding.properties.kind.enum;
    assert.deepEqual([...kinds].sort(), [...new Set(tableKinds.map((kind) => kind.id))].sort());
  });

  it('reads its own notation: <name> is any text, [ … ] is optional', () => {
    const template = 'ctdoctor analyze[ --netns <netns>]';
    assert.ok(matchesTemplate(template, 'ctdoctor analyze'));
    assert.ok(matchesTemplate(template, 'ctdoctor analyze --netns web'));
    assert.ok(!matchesTemplate(template, 'ctdoctor analyze --filter x'));
    assert.ok(!matchesTemplate('drift:<key>', 'drift:'));
  });

  it('every analyze finding on the tables captured from the real kernel is one the registry lists', () => {
    for (const scenario of TABLE_SCENARIOS) {
      const findings = detectTableFindings(summarize(tableEntries(scenario.name)), { max: 262144 });
      for (const finding of findings) assertDocumentedTableFinding(tableKinds, finding);
    }
  });

  it('every doctor finding of a troubled host is one the registry lists', () => {
    const flood = detectTableFindings(summarize(tableEntries('udp-flood')));
    const findings = buildDoctorFindings(
      doctorInput({
        max: 200,
        buckets: 65536 / 8,
        numaNodes: 2,
        root: false,
        namespaces: [
          namespaceReadings({
            status: statusOf(200, 200, { drop: 50, insert_failed: 2 }),
            tableFull: CAPTURED_TABLE_FULL,
            tableFindings: flood,
            dnsShare: 1,
            zones: ['0', '3'],
          }),
          namespaceReadings({ inode: 4026532999, status: null, error: 'permission denied' }),
        ],
        helpers: [{ name: 'ftp', presence: 'module-loaded', inUse: false }],
      }),
    );
    assert.ok(findings.length >= 8, findings.map((f) => f.id).join(', '));
    const doctorKinds = [...NAMESPACE_RULES, ...HOST_RULES].flatMap((rule) => rule.kinds);
    for (const finding of findings) assertDocumentedDoctorFinding(doctorKinds, finding);
  });
});
