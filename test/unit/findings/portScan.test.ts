import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PORT_SCAN_THRESHOLDS,
  isLoopbackText,
  portScanRule,
} from '../../../src/core/findings/table/portScan.js';
import { SCANNER } from '../../../src/lab/tableScenarios.js';
import {
  assertDocumentedTableFinding,
  summarize,
  tableEntries,
  tableReadings,
} from '../../support/findings.js';

const scan = summarize(tableEntries('scan'));

describe('port-scan rule', () => {
  it('names the scanner of the captured scan, its ports and a local fix (it is loopback)', () => {
    const [finding, ...rest] = portScanRule.detect(tableReadings(scan));
    assert.equal(rest.length, 0);
    assert.equal(finding!.subject, SCANNER);
    assert.equal(finding!.evidence.pattern, 'port scan');
    assert.ok(Number(finding!.evidence.distinctPorts) >= 180);
    assert.deepEqual(finding!.commands, [`ss -tuanp src ${SCANNER}`, `conntrack -D -s ${SCANNER}`]);
    assertDocumentedTableFinding(portScanRule.kinds, finding!);
  });

  it('a remote scanner is blocked, not looked for locally', () => {
    const remote = structuredClone(scan);
    remote.signals.scanCandidates[0]!.src = '203.0.113.9';
    const [finding] = portScanRule.detect(tableReadings(remote));
    assert.equal(finding!.commands[0], 'ctdoctor block --ip 203.0.113.9 --ttl 1h --apply');
    assertDocumentedTableFinding(portScanRule.kinds, finding!);
  });

  it(`needs ${PORT_SCAN_THRESHOLDS.minDistinct} distinct ports or hosts: fewer is a client retrying`, () => {
    const few = structuredClone(scan);
    const candidate = few.signals.scanCandidates[0]!;
    candidate.distinctPorts = PORT_SCAN_THRESHOLDS.minDistinct - 1;
    candidate.distinctHosts = 1;
    assert.deepEqual(portScanRule.detect(tableReadings(few)), []);
    candidate.distinctHosts = PORT_SCAN_THRESHOLDS.minDistinct;
    assert.equal(portScanRule.detect(tableReadings(few))[0]!.evidence.pattern, 'host sweep');
  });

  it('a source whose entries are mostly answered is no scanner', () => {
    const answered = structuredClone(scan);
    const candidate = answered.signals.scanCandidates[0]!;
    candidate.totalEntries = Math.ceil(candidate.entries / PORT_SCAN_THRESHOLDS.minUnrepliedRatio) + 1;
    assert.deepEqual(portScanRule.detect(tableReadings(answered)), []);
  });

  it('finds nothing in the healthy capture', () => {
    assert.deepEqual(portScanRule.detect(tableReadings(summarize(tableEntries('healthy')))), []);
  });

  it('loopback is 127.0.0.0/8 and ::1', () => {
    assert.ok(isLoopbackText('127.9.9.9') && isLoopbackText('::1'));
    assert.ok(!isLoopbackText('10.0.0.1') && !isLoopbackText('::2'));
  });
});
