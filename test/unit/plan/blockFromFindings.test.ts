import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectTableFindings } from '../../../src/core/analysis/tableDetectors.js';
import { LOOPBACK, parseNetwork } from '../../../src/core/firewall/blockGuards.js';
import { selectOffenders } from '../../../src/core/plan/blockFromFindings.js';
import { SCANNER } from '../../../src/lab/tableScenarios.js';
import { summarize, tableEntries } from '../../support/findings.js';

const THIS_HOST = [{ network: parseNetwork('203.0.113.1'), why: "this host's address on eth0" }];

describe('block --from-findings takes the offenders findings name, and only them (#13.3)', () => {
  it('the scan capture: the scanner, with its finding and the entries it holds', () => {
    const findings = detectTableFindings(summarize(tableEntries('scan')));
    const { offenders, skipped } = selectOffenders(findings, []);
    assert.deepEqual(
      offenders.map(({ address, finding }) => ({ address, finding })),
      [{ address: SCANNER, finding: `port-scan:${SCANNER}` }],
    );
    assert.equal(offenders[0]!.entries, 200, 'the 200 SYNs of the captured scan');
    assert.deepEqual(skipped, []);
  });

  it('the scan capture with the guards in force: the loopback scanner is skipped, and says why', () => {
    const findings = detectTableFindings(summarize(tableEntries('scan')));
    const { offenders, skipped } = selectOffenders(findings, [...LOOPBACK, ...THIS_HOST]);
    assert.deepEqual(offenders, []);
    assert.deepEqual(
      skipped.map(({ address, why }) => ({ address, why })),
      [{ address: SCANNER, why: 'loopback' }],
    );
  });

  it('the udp-flood capture accuses no one: none of its 300 sources holds a share of the flood', () => {
    const findings = detectTableFindings(summarize(tableEntries('udp-flood')));
    const flood = findings.find((finding) => finding.kind === 'udp-flood')!;
    assert.ok(flood, 'the capture is a flood');
    assert.ok(String(flood.evidence.floodTopSources).length > 0);
    assert.deepEqual(selectOffenders(findings, []), { offenders: [], skipped: [] });
  });

  for (const name of ['healthy', 'pool', 'time-wait', 'protocols']) {
    it(`the ${name} capture accuses no one`, () => {
      const findings = detectTableFindings(summarize(tableEntries(name)));
      assert.deepEqual(selectOffenders(findings, []), { offenders: [], skipped: [] });
    });
  }

  it("this host's address and a finding's subject that is no offender are never taken", () => {
    const findings = [
      {
        kind: 'port-scan',
        severity: 'warn' as const,
        subject: '203.0.113.1',
        evidence: {},
        advice: '',
        commands: [],
        offenders: [{ address: '203.0.113.1', entries: 300, share: '30%' }],
      },
      {
        kind: 'port-scan',
        severity: 'warn' as const,
        subject: '198.51.100.7',
        evidence: {},
        advice: '',
        commands: [],
        offenders: [{ address: '198.51.100.7', entries: 200, share: '20%' }],
      },
      // A finding without offenders: its subject, even an address, is nobody to block.
      {
        kind: 'established-leak',
        severity: 'warn' as const,
        subject: '192.0.2.9',
        evidence: {},
        advice: '',
        commands: [],
      },
    ];
    const { offenders, skipped } = selectOffenders(findings, [...LOOPBACK, ...THIS_HOST]);
    assert.deepEqual(offenders, [
      { address: '198.51.100.7', finding: 'port-scan:198.51.100.7', entries: 200, share: '20%' },
    ]);
    assert.deepEqual(
      skipped.map(({ address, why }) => ({ address, why })),
      [{ address: '203.0.113.1', why: "this host's address on eth0" }],
    );
  });
});
