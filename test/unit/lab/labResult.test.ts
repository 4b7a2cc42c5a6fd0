import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { heldTheLoad, liveSampleOf, summarizeRun } from '../../../src/core/lab/labResult.js';
import { labWarnings } from '../../../src/core/lab/labWarnings.js';
import { capturedReport, capturedRunMeasurements } from '../../support/labFixtures.js';
import { fixture } from '../../support/paths.js';

/** The oracle: nf_conntrack_count straight from each captured stat file (its first CPU row, hex). */
const capturedCounts = () =>
  readdirSync(fixture('lab', 'run-mixed', 'stat')).map((file) =>
    Number.parseInt(
      readFileSync(fixture('lab', 'run-mixed', 'stat', file), 'utf8')
        .split('\n')[1]!
        .trim()
        .split(/\s+/)[0]!,
      16,
    ),
  );

describe('summarizeRun on a captured run (mixed: 300/s short flows, a pool of 10)', () => {
  const run = capturedRunMeasurements();
  const result = summarizeRun(run);

  it('the table reached rate × TIME_WAIT (Little’s law at the lab’s 5 s), no drops, every flow answered', () => {
    assert.equal(result.drops.total, 0);
    assert.equal(result.successRatio, 1);
    assert.equal(result.failedConnects, 0);
    const expected = 300 * 5 + 10;
    assert.ok(
      Math.abs(result.steady!.liveEntries! - expected) < expected * 0.1,
      `steady live ${result.steady!.liveEntries} vs ${expected}`,
    );
  });

  it('the peak is the highest count read; memory is the peak × the entry size', () => {
    assert.equal(result.peakEntries, Math.max(...capturedCounts()));
    assert.equal(result.memoryAtPeakBytes, result.peakEntries * run.entryBytes);
  });

  it('steady means cover only the samples from the steady point on', () => {
    const after = run.live.filter((sample) => sample.atSeconds >= run.steadyFromSeconds);
    assert.ok(after.length >= 2 && after.length < run.live.length);
    assert.equal(result.steady!.fromSeconds, run.steadyFromSeconds);
    assert.equal(
      result.steady!.liveEntries,
      after.reduce((sum, sample) => sum + sample.entries, 0) / after.length,
    );
    assert.ok(
      result.steady!.countEntries >= result.steady!.liveEntries!,
      'the count includes expired entries',
    );
  });

  it('each generator: asked and achieved rate, from its own done line', () => {
    const short = result.generators.find((generator) => generator.kind === 'short-flows')!;
    const done = run.generators.find((item) => item.kind === 'short-flows')!;
    assert.equal(short.askedRatePerSecond, 300);
    assert.equal(short.achievedRatePerSecond, done.attempts / done.seconds);
    assert.ok(short.achievedRatePerSecond > 290, `${short.achievedRatePerSecond}/s`);
    assert.deepEqual(result.longPool, { wanted: 10, survived: 10, failedConnects: 0, lost: 0 });
  });

  it("set-up times are the two generators' samples merged (a quantile of all, not a mean)", () => {
    const samples = run.generators.reduce((sum, done) => sum + done.ok, 0);
    assert.equal(result.setupMs!.samples, samples);
    assert.ok(result.setupMs!.p50 > 0 && result.setupMs!.p50 <= result.setupMs!.p99);
  });

  it('the timeline: a point at most every 0.5 s from the start, the nearest dump beside it', () => {
    assert.equal(result.timeline[0]!.t, 0);
    for (const [index, point] of result.timeline.entries()) {
      assert.equal(point.drops, 0);
      if (index > 0) assert.ok(point.t - result.timeline[index - 1]!.t >= 0.5);
    }
    assert.ok(result.timeline.some((point) => point.live !== undefined));
  });

  it('drops are what the counters gained during the run, not their totals since boot', () => {
    const counters = run.counters.map((sample, index) => ({
      ...sample,
      drop: 1000 + index * 10,
      earlyDrop: 7,
    }));
    const lossy = summarizeRun({ ...run, counters });
    assert.deepEqual(lossy.drops, {
      drop: (counters.length - 1) * 10,
      earlyDrop: 0,
      insertFailed: 0,
      total: (counters.length - 1) * 10,
    });
    for (const point of lossy.timeline) {
      const index = counters.findIndex((sample) => Number(sample.atSeconds.toFixed(2)) === point.t);
      assert.equal(point.drops, index * 10, `at ${point.t} s`);
    }
  });

  it('a run that ended before its steady point has no steady figures, and no set-up times without samples', () => {
    const early = summarizeRun({ ...run, steadyFromSeconds: 100 });
    assert.equal(early.steady, null);
    const silent = summarizeRun({
      ...run,
      generators: run.generators.map((done) => ({ ...done, latency: {} })),
    });
    assert.equal(silent.setupMs, null);
  });
});

describe('the live table with helpers at work (a captured dump and nf_conntrack_expect)', () => {
  const dump = readFileSync(fixture('lab', 'helpers', 'conntrack-L.txt'), 'utf8');
  const expect = readFileSync(fixture('lab', 'helpers', 'nf_conntrack_expect.txt'), 'utf8');
  const sample = liveSampleOf(2, dump, expect);

  it('counts every entry, those carrying a helper, and the expectations waiting', () => {
    const lines = dump.trimEnd().split('\n');
    assert.equal(sample.entries, lines.length);
    // The oracle: helpers=on gave every UDP/53 flow tftp and every TCP flow ftp.
    const helped = lines.filter((line) => /dport=53 .* helper=tftp |dport=8080 .* helper=ftp /.test(line));
    assert.equal(sample.helperEntries, helped.length);
    assert.ok(sample.helperEntries > 0 && sample.helperEntries <= sample.entries);
    assert.equal(sample.expectations, 1, 'the TFTP read request set up one expectation');
    assert.match(expect, / tftp$/m);
  });

  it('an empty table and no expectations are zeros', () => {
    assert.deepEqual(liveSampleOf(0, '', ''), {
      atSeconds: 0,
      entries: 0,
      helperEntries: 0,
      expectations: 0,
    });
  });

  it('a summarized run takes the peaks of its dumps and the rise of expect_create', () => {
    const run = capturedRunMeasurements();
    const withHelpers = summarizeRun({
      ...run,
      live: [...run.live, sample],
      counters: run.counters.map((counter, index) => ({ ...counter, expectCreate: index })),
    });
    assert.deepEqual(withHelpers.helpers, {
      entriesPeak: sample.helperEntries,
      expectationsPeak: 1,
      expectationsCreated: run.counters.length - 1,
    });
    assert.deepEqual(summarizeRun(run).helpers, {
      entriesPeak: 0,
      expectationsPeak: 0,
      expectationsCreated: 0,
    });
  });
});

describe('held the load', () => {
  const row = summarizeRun(capturedRunMeasurements());

  it('no drops, every answered flow answered, every pool connection alive', () => {
    assert.equal(heldTheLoad(row), true, 'the captured run held');
    assert.equal(heldTheLoad({ ...row, drops: { ...row.drops, total: 1 } }), false);
    assert.equal(
      heldTheLoad({ ...row, successRatio: 0.999 }),
      false,
      'a helper drop counts in no drop counter',
    );
    assert.equal(heldTheLoad({ ...row, successRatio: null }), true, 'a flood alone expects no answer');
    assert.equal(
      heldTheLoad({ ...row, longPool: { ...row.longPool!, survived: row.longPool!.wanted - 1 } }),
      false,
    );
  });
});

describe('lab warnings', () => {
  it('the captured interrupted run: the rate not reached, and cut short', () => {
    const report = capturedReport('report-interrupted');
    const warnings = labWarnings(report.runs, report.seconds);
    assert.deepEqual(warnings, report.warnings, 'the same warnings the real run printed');
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0]!,
      /^"as is": short-flows reached \d+\/s of the 50000\/s asked \(the generator or this machine is the limit\): compare at a lower rate$/,
    );
    assert.match(warnings[1]!, /^"as is" was interrupted after \d+\.\d s: its figures cover that part only$/);
  });

  it('the captured mixed runs reached their load: no warning', () => {
    const report = capturedReport('report-mixed');
    assert.deepEqual(labWarnings(report.runs, report.seconds), []);
  });

  it('a steady point late in the run says the table may not have settled', () => {
    const run = capturedRunMeasurements();
    const late = summarizeRun({ ...run, steadyFromSeconds: 6.5 });
    assert.match(
      labWarnings([late], 8).join('\n'),
      /the timeouts hold a flow about as long as the run \(8 s\).*lengthen --duration/,
    );
    assert.deepEqual(labWarnings([summarizeRun(run)], 10), [], 'at 6 s of 10 it has settled');
  });

  it('a generator at 90 % of its rate is fine, below is not', () => {
    const row = summarizeRun(capturedRunMeasurements());
    const at = (achieved: number) => ({
      ...row,
      generators: [{ ...row.generators[0]!, askedRatePerSecond: 100, achievedRatePerSecond: achieved }],
    });
    assert.deepEqual(labWarnings([at(90)], 20), []);
    assert.equal(labWarnings([at(89)], 20).length, 1);
  });
});
