import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEntryFilter } from '../../src/core/analysis/entryFilter.js';
import { TableAggregator } from '../../src/core/analysis/tableAggregator.js';
import { detectTableFindings } from '../../src/core/analysis/tableDetectors.js';
import { summarizeTable } from '../../src/core/analysis/tableSummary.js';
import { CtdoctorError } from '../../src/core/errors.js';
import type { ConntrackEntry } from '../../src/core/table/entry.js';
import { TABLE_SCENARIOS } from '../../src/lab/tableScenarios.js';
import { tableFileEntries } from '../support/findings.js';

function summarize(entries: ConntrackEntry[], capacity = 1024) {
  const aggregator = new TableAggregator({ capacity, groupBy: ['src', 'dport'] });
  for (const entry of entries) aggregator.add(entry);
  return { aggregator, summary: summarizeTable(aggregator, 10) };
}

const EXPECTED = Object.fromEntries(TABLE_SCENARIOS.map((scenario) => [scenario.name, scenario.expected]));

describe('detectors on tables captured from the real kernel', () => {
  for (const [scenario, expected] of Object.entries(EXPECTED)) {
    for (const format of ['procfs', 'conntrack', 'extended']) {
      it(`${scenario} (${format}) → ${expected.map(([kind]) => kind).join(', ') || 'no findings'}`, () => {
        const { summary } = summarize(tableFileEntries(`${scenario}.${format}.txt`));
        // As the corpus scores them: unreplied-heavy rides along, and info (nat-heavy beside a
        // stale NAT, a busy client) is context, not a finding the scenario names.
        const findings = detectTableFindings(summary).filter(
          (finding) => finding.kind !== 'unreplied-heavy' && finding.severity !== 'info',
        );
        assert.deepEqual(
          findings.map((finding) => [finding.kind, finding.subject]),
          expected,
        );
      });
    }
  }

  it('the scan finding carries its evidence and commands', () => {
    const { summary } = summarize(tableFileEntries('scan.procfs.txt'));
    const scan = detectTableFindings(summary).find((finding) => finding.kind === 'port-scan')!;
    assert.equal(scan.evidence.entries, 200);
    assert.ok(Number(scan.evidence.distinctPorts) >= 180, String(scan.evidence.distinctPorts));
    assert.ok(scan.commands.some((command) => command.includes('127.0.0.66')));
  });

  it('severity follows pressure: the same pool is only a warning in a table far from its limit', () => {
    const { summary } = summarize(tableFileEntries('pool.procfs.txt'));
    assert.equal(detectTableFindings(summary, { max: 300 })[0]!.severity, 'crit');
    assert.equal(detectTableFindings(summary, { max: 262144 })[0]!.severity, 'warn');
  });
});

describe('aggregation', () => {
  it('counts breakdowns exactly and groups by composite keys', () => {
    const { summary } = summarize(tableFileEntries('healthy.procfs.txt'));
    assert.equal(summary.entries, 410);
    assert.equal(summary.by.state.ESTABLISHED, 200);
    assert.equal(summary.by.state.TIME_WAIT, 60);
    assert.equal(summary.top.dport[0]!.key, 'tcp/5432');
    assert.ok(summary.exact);
    assert.ok(summary.top.groupBy!.length > 0);
  });

  it('merging two halves gives the same summary as one pass', () => {
    const entries = tableFileEntries('scan.procfs.txt');
    const whole = summarize(entries).summary;
    const left = new TableAggregator({ capacity: 1024, groupBy: ['src', 'dport'] });
    const right = new TableAggregator({ capacity: 1024, groupBy: ['src', 'dport'] });
    for (const [i, entry] of entries.entries()) (i % 2 ? left : right).add(entry);
    left.merge(right.toState());
    const merged = summarizeTable(left, 10);
    assert.deepEqual(merged.by, whole.by);
    assert.deepEqual(merged.top.src, whole.top.src);
    assert.deepEqual(merged.top.dport, whole.top.dport);
    assert.deepEqual(detectTableFindings(merged), detectTableFindings(whole));
  });

  it('ranks destination ports by count, ties in protocol then port order, only the rows asked for', () => {
    const aggregator = new TableAggregator({ capacity: 16 });
    for (const [port, count] of [
      [443, 5],
      [22, 7],
      [80, 5],
      [8080, 1],
      [65535, 7],
    ] as const)
      aggregator.tcpDport[port] = count;
    for (const [port, count] of [
      [53, 7],
      [123, 5],
    ] as const)
      aggregator.udpDport[port] = count;
    aggregator.otherDport.set('sctp/3868', 6);
    const ports = (limit: number) =>
      summarizeTable(aggregator, limit).top.dport.map(({ key, count }) => `${key}:${count}`);
    assert.deepEqual(ports(6), [
      'tcp/22:7',
      'tcp/65535:7',
      'udp/53:7',
      'sctp/3868:6',
      'tcp/80:5',
      'tcp/443:5',
    ]);
    assert.deepEqual(ports(2), ['tcp/22:7', 'tcp/65535:7']);
  });

  it('stays within its error bound when the keys do not fit', () => {
    const { summary } = summarize(tableFileEntries('udp-flood.procfs.txt'), 16);
    assert.equal(summary.exact, false);
    assert.equal(summary.top.dst[0]!.key, '127.0.0.1');
    assert.equal(summary.top.dst[0]!.count, 300);
  });
});

describe('filters', () => {
  const entries = tableFileEntries('protocols.procfs.txt');
  const count = (expression: string) => entries.filter(parseEntryFilter(expression)).length;

  it('matches fields, CIDRs, flags, lists and negation', () => {
    assert.equal(count('proto=icmp'), 1);
    assert.equal(count('src=2001:db8::/32'), 2);
    assert.equal(count('src=10.1.1.0/24 proto=tcp'), 2);
    assert.equal(count('state=UNREPLIED proto=udp'), count('flag=UNREPLIED proto=udp'));
    assert.equal(
      count('dport=53,80'),
      entries.filter((e) => e.orig.dport === 53 || e.orig.dport === 80).length,
    );
    assert.equal(count('proto!=tcp') + count('proto=tcp'), entries.length);
    assert.equal(count('mark=42 zone=7'), 1);
    assert.equal(count('nat=dnat'), 1);
  });

  it('rejects bad expressions with a usage error', () => {
    for (const bad of ['bogus=1', 'src=300.1.1.1', 'dport=70000', 'justaword', 'src=10.0.0.0/40']) {
      assert.throws(
        () => parseEntryFilter(bad),
        (error: unknown) => error instanceof CtdoctorError && error.kind === 'usage',
        bad,
      );
    }
  });
});
