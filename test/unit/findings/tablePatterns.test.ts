import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectTableFindings } from '../../../src/core/analysis/tableDetectors.js';
import { tablePatternsRule } from '../../../src/core/findings/doctor/tablePatterns.js';
import {
  CAPTURED_INODE,
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  summarize,
  tableEntries,
} from '../../support/findings.js';

describe("doctor's copy of analyze's findings", () => {
  it('names the namespace and aims ctdoctor commands at it, other commands as they are', () => {
    const tableFindings = detectTableFindings(summarize(tableEntries('udp-flood')));
    const findings = tablePatternsRule.detect(namespaceReadings({ tableFindings }), doctorInput());
    assert.equal(findings.length, tableFindings.length);
    const flood = findings.find((finding) => finding.id === `udp-flood:${CAPTURED_INODE}:127.0.0.1:53/udp`)!;
    assert.equal(flood.fix.commands[0], 'ctdoctor notrack --netns web --port 53 --proto udp');
    assert.equal(
      flood.fix.commands.at(-1),
      'iptables -t raw -A PREROUTING -p udp --dport 53 -j CT --notrack',
    );
    assert.ok(
      flood.fix.commands.every((command) => !command.includes('ctdoctor block')),
      'a flood names no offender: doctor never says to block (issue #13)',
    );
    assert.equal(flood.explanation, tableFindings.find((f) => f.kind === 'udp-flood')!.advice);
    for (const finding of findings) assertDocumentedDoctorFinding(tablePatternsRule.kinds, finding);
  });
});
