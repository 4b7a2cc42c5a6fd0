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
  it('names the namespace and aims every command at it: ctdoctor by --netns, other tools run inside it', () => {
    const tableFindings = detectTableFindings(summarize(tableEntries('udp-flood')));
    const findings = tablePatternsRule.detect(namespaceReadings({ tableFindings }), doctorInput());
    assert.equal(findings.length, tableFindings.length);
    const flood = findings.find((finding) => finding.id === `udp-flood:${CAPTURED_INODE}:127.0.0.1:53/udp`)!;
    assert.equal(flood.fix.commands[0], 'ctdoctor notrack --netns web --port 53 --proto udp');
    assert.equal(
      flood.fix.commands.at(-1),
      'ip netns exec web iptables -t raw -A PREROUTING -p udp --dport 53 -j CT --notrack',
    );
    assert.ok(
      flood.fix.commands.slice(1).every((command) => command.startsWith('ip netns exec web ')),
      'the rate-limit rules too: on the host they would limit the host',
    );
    assert.ok(
      flood.fix.commands.every((command) => !command.includes('ctdoctor block')),
      'a flood names no offender: doctor never says to block (issue #13)',
    );
    assert.equal(flood.explanation, tableFindings.find((f) => f.kind === 'udp-flood')!.advice);
    for (const finding of findings) assertDocumentedDoctorFinding(tablePatternsRule.kinds, finding);
  });

  it('each part of a chained command runs inside an unnamed namespace; the host namespace takes them as they are', () => {
    // The captured scanner moved off loopback: a remote scanner's commands chain `iptables … && conntrack -D`.
    const remote = tableEntries('scan', (text) => text.replaceAll('127.0.0.66', '198.51.100.66'));
    const tableFindings = detectTableFindings(summarize(remote));
    const unnamed = namespaceReadings({ tableFindings, names: [], path: '/proc/4242/ns/net' });
    const [scan] = tablePatternsRule
      .detect(unnamed, doctorInput())
      .filter((f) => f.id.startsWith('port-scan:'));
    assert.ok(scan, 'the captured scan is a port scan');
    const chained = scan.fix.commands.find((command) => command.includes(' && '));
    assert.equal(
      chained,
      'nsenter --net=/proc/4242/ns/net iptables -t raw -I PREROUTING -s 198.51.100.66 -j DROP && nsenter --net=/proc/4242/ns/net conntrack -D -s 198.51.100.66',
    );
    for (const command of scan.fix.commands.filter((c) => !c.startsWith('ctdoctor '))) {
      for (const part of command.split(' && ')) assert.match(part, /^nsenter --net=\/proc\/4242\/ns\/net /);
    }
    const host = namespaceReadings({ tableFindings, initial: true });
    const [onHost] = tablePatternsRule
      .detect(host, doctorInput())
      .filter((f) => f.id.startsWith('port-scan:'));
    assert.deepEqual(onHost!.fix.commands, tableFindings.find((f) => f.kind === 'port-scan')!.commands);
  });
});
