import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseStatFile } from '../../src/core/statFile.js';
import {
  type ConntrackSample,
  DEFAULT_THRESHOLDS,
  type StatusThresholds,
  evaluateStatus,
} from '../../src/core/status.js';
import { checkJson, checkOutcome, renderCheckLine } from '../../src/render/checkLine.js';
import { formatPerfdataNumber } from '../../src/render/perfdata.js';
import { fixture } from '../support/paths.js';

const captured = parseStatFile(readFileSync(fixture('proc-6.18-full', 'net/stat/nf_conntrack'), 'utf8'));
const facts = {
  kernel: '6.18',
  entrySize: { bytes: 256, source: 'slabinfo' as const },
  netns: { inode: 4026532246, initial: false },
};

/** Two readings of the captured tree one second apart, the drop counter moved by `extraDrops`. */
function reportWithDrops(
  extraDrops: number,
  sample: Partial<ConntrackSample> = {},
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
) {
  const base = { count: 200, max: 200, buckets: 262144, ...sample };
  const moved = {
    ...captured,
    totals: { ...captured.totals, drop: (captured.totals.drop ?? 0) + extraDrops },
  };
  return evaluateStatus(
    { takenAtMs: 0, stats: captured, ...base },
    { takenAtMs: 1000, stats: moved, ...base },
    facts,
    thresholds,
  );
}

/** The guidelines' class for value, min and max: [-0-9.] (Monitoring Plugins Development Guidelines). */
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

describe('formatPerfdataNumber', () => {
  it('#11.14 prints every finite double as a plain decimal that reads back within rounding', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatPerfdataNumber(value);
        assert.match(text, PLAIN_DECIMAL, `${value} printed as ${text}`);
        assert.doesNotMatch(text, /\.\d*0$|^-0$/, `${value} printed as ${text}: trailing zero or -0`);
        const decimals = text.split('.')[1]?.length ?? 0;
        assert.ok(decimals <= 6, `${value} printed as ${text}: more than 6 decimals`);
        // toFixed rounds the exact value to 6 decimals; reading the text back rounds once more.
        const bound = 0.5e-6 + Math.abs(value) * Number.EPSILON;
        assert.ok(Math.abs(Number(text) - value) <= bound, `${value} printed as ${text}`);
        // Integers are exact (-0 reads back as 0, which compares equal).
        if (Number.isInteger(value)) assert.ok(Number(text) === value, `${value} printed as ${text}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('#11.14 the numbers that broke perfdata', () => {
    assert.equal(formatPerfdataNumber(1e23), '99999999999999991611392');
    assert.equal(formatPerfdataNumber(0.9000000000000001), '0.9');
    assert.equal(formatPerfdataNumber(0.29 * 100), '29');
    assert.equal(formatPerfdataNumber(-1e-9), '0');
    assert.equal(formatPerfdataNumber(1 / 86400), '0.000012'); // one drop a day is still above 0
  });
});

describe('check line and check --json', () => {
  it('#11.14 a huge rate stays a plain decimal in the line and a number in the JSON', () => {
    const report = reportWithDrops(1e23);
    const outcome = checkOutcome(report, DEFAULT_THRESHOLDS);
    const line = renderCheckLine(outcome);
    assert.doesNotMatch(line.split(' | ')[1]!, /e\+/);
    assert.match(line, / drops_per_s=99999999999999991611392;;0;0 /);
    const json = checkJson(outcome);
    assert.equal(json.status, 'CRITICAL');
    assert.equal(json.exitCode, 2);
    assert.equal(json.perfdata.drops_per_s?.value, 1e23);
  });

  it('#11.14 entries thresholds are the counts at which the verdict changes', () => {
    // 200 × 0.29 is 57.99999999999999 in doubles: flooring it gave 57, the verdict turns at 58.
    const thresholds = { warnUsage: 0.29, critUsage: 0.95 };
    const outcome = checkOutcome(reportWithDrops(0, { count: 58 }, thresholds), thresholds);
    assert.equal(outcome.verdict, 'warn');
    assert.deepEqual(
      outcome.perfdata.find((datum) => datum.label === 'entries'),
      { label: 'entries', value: 58, uom: '', warn: 58, crit: 190, min: 0, max: 200 },
    );
    assert.equal(checkOutcome(reportWithDrops(0, { count: 57 }, thresholds), thresholds).verdict, 'ok');
    assert.match(renderCheckLine(outcome), / usage=29%;29;95;0;100 /);
  });
});
