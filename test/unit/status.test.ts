import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseStatFile } from '../../src/core/statFile.js';
import { type ConntrackSample, evaluateStatus, formatRate } from '../../src/core/status.js';
import { checkOutcome, renderCheckLine } from '../../src/render/checkLine.js';
import { renderStatusText } from '../../src/render/statusText.js';
import { fixture } from '../support/paths.js';

const full = parseStatFile(readFileSync(fixture('proc-6.18-full', 'net/stat/nf_conntrack'), 'utf8'));
const facts = {
  kernel: '6.18',
  entrySize: { bytes: 256, source: 'slabinfo' as const },
  netns: { inode: 4026532246, initial: false },
};

function sample(overrides: Partial<ConntrackSample>, takenAtMs: number): ConntrackSample {
  return { takenAtMs, count: 200, max: 200, buckets: 262144, stats: full, ...overrides };
}

/** The captured stats with the drop counter moved by `extraDrops`. */
function withDrops(extraDrops: number) {
  return { ...full, totals: { ...full.totals, drop: (full.totals.drop ?? 0) + extraDrops } };
}

describe('evaluateStatus', () => {
  it('is crit when the table is full and drops rise, with a rate per second', () => {
    const report = evaluateStatus(sample({}, 0), sample({ stats: withDrops(862) }, 2000), facts);
    assert.equal(report.verdict, 'crit');
    assert.equal(report.usage, 1);
    assert.equal(report.rates?.drop, 431);
    assert.ok(report.reasons.some((reason) => reason.startsWith('drop rising: 431/s')));
  });

  it('is warn between the thresholds and ok below them', () => {
    const warn = evaluateStatus(sample({ count: 170 }, 0), sample({ count: 170 }, 1000), facts);
    assert.equal(warn.verdict, 'warn');
    const ok = evaluateStatus(sample({ count: 10 }, 0), sample({ count: 10 }, 1000), facts);
    assert.equal(ok.verdict, 'ok');
    assert.deepEqual(ok.reasons, []);
  });

  it('is crit on drops even when usage is low (another namespace may have been full)', () => {
    const report = evaluateStatus(
      sample({ count: 10 }, 0),
      sample({ count: 10, stats: withDrops(5) }, 1000),
      facts,
    );
    assert.equal(report.verdict, 'crit');
  });

  it('computes memory from the measured entry size and 8-byte buckets', () => {
    const report = evaluateStatus(sample({}, 0), sample({}, 1000), facts);
    assert.equal(report.memory.usedBytes, 200 * 256 + 262144 * 8);
    assert.equal(report.loadFactor, 200 / 262144);
  });

  it('reports missing counters instead of inventing them', () => {
    const noStats = evaluateStatus(
      sample({ stats: undefined, statsUnavailable: 'absent' }, 0),
      sample({ stats: undefined, statsUnavailable: 'absent' }, 1000),
      facts,
    );
    assert.equal(noStats.counters, null);
    assert.equal(noStats.rates, null);
    assert.equal(noStats.verdict, 'crit'); // usage alone is 100%
  });
});

describe('renderCheckLine', () => {
  it('follows the monitoring-plugin format with perfdata', () => {
    const thresholds = { warnUsage: 0.8, critUsage: 0.95 };
    const report = evaluateStatus(sample({}, 0), sample({ stats: withDrops(431) }, 1000), facts, thresholds);
    assert.equal(
      renderCheckLine(checkOutcome(report, thresholds)),
      'CONNTRACK CRITICAL - 100% used (200/200), 431 drops/s | entries=200;160;190;0;200 usage=100%;80;95;0;100 drops_per_s=431;;0;0 early_drop_per_s=0;;0;0 insert_failed_per_s=0;;0;0',
    );
  });
});

describe('formatRate', () => {
  it('#11.14 prints rates as plain decimals at every size (no 1e+23 in the check line or the reasons)', () => {
    assert.equal(formatRate(1e23), '99999999999999991611392');
    assert.equal(formatRate(9980), '9980');
    assert.equal(formatRate(2.25), '2.3');
    assert.equal(formatRate(0), '0');
  });
});

/** The captured stats with `name` moved by `extra` (the second of two samples). */
function withRise(name: string, extra: number) {
  return { ...full, totals: { ...full.totals, [name]: (full.totals[name] ?? 0) + extra } };
}

describe('status counter findings', () => {
  const inNamespace = {
    ...facts,
    netnsPath: '/proc/4242/ns/net',
    invalidLogging: { logInvalid: 0, tcpBeLiberal: 0 },
  };

  it('reports invalid-heavy without moving the verdict, its commands aimed at the namespace', () => {
    const report = evaluateStatus(
      sample({ count: 10 }, 0),
      sample({ count: 10, stats: withRise('invalid', 40) }, 2000),
      inNamespace,
    );
    assert.equal(report.verdict, 'ok');
    assert.deepEqual(
      report.findings.map((f) => [f.id, f.evidence.invalidPerSecond]),
      [['invalid-heavy:4026532246', 20]],
    );
    assert.ok(
      report.findings[0]!.fix.commands.includes(
        'nsenter --net=/proc/4242/ns/net sysctl -w net.netfilter.nf_conntrack_log_invalid=0 && sysctl -w net.netfilter.nf_log_all_netns=0',
      ),
    );
    assert.match(
      renderStatusText(report),
      /warn: netns 4026532246: 20 invalid packets\/s .*\[invalid-heavy:4026532246\]/,
    );
  });

  it('reports insert_failed as a possible DNS race (info: status walks no table) and points to doctor', () => {
    const report = evaluateStatus(
      sample({ count: 10 }, 0),
      sample({ count: 10, stats: withRise('insert_failed', 2) }, 1000),
      { ...inNamespace, netns: { ...facts.netns, name: 'web' } },
    );
    const [finding] = report.findings;
    assert.equal(finding!.id, 'dns-insert-race:4026532246');
    assert.equal(finding!.severity, 'info');
    assert.equal(finding!.evidence.clashResolvePresent, 'yes');
    assert.ok(finding!.fix.commands.includes('ctdoctor doctor --netns web'));
  });

  it('has no findings on quiet counters', () => {
    const report = evaluateStatus(
      sample({}, 0),
      sample({ stats: withRise('invalid', 9) }, 1000),
      inNamespace,
    );
    assert.deepEqual(report.findings, []);
  });
});
