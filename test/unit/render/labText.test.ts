import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCount } from '../../../src/render/format.js';
import { renderLabText } from '../../../src/render/labText.js';
import { capturedReport } from '../../support/labFixtures.js';

describe('lab text', () => {
  const report = capturedReport('report-mixed');
  const text = renderLabText(report);
  const lines = text.split('\n');

  it('says what ran: the workload with the rate achieved, seconds, kernel, and the shortened timeouts', () => {
    assert.match(
      lines[0]!,
      /^lab: short-flows 500\/s \(\d+ achieved\) \+ long-pool 50 connections, 10 s per tuning, kernel \S+$/,
    );
    assert.match(text, /timeouts shortened for the lab.*tcp_timeout_time_wait 5 s \(kernel 120 s\)/);
  });

  it('one row per tuning, in the order given, under a header', () => {
    const header = lines.findIndex((line) => line.startsWith('tuning'));
    assert.ok(header > 0, text);
    assert.match(
      lines[header]!,
      /drops\s+success\s+failed connects\s+p99 set-up\s+peak entries\s+steady live\s+memory at peak\s+pool alive\s+resize stall/,
    );
    const rows = lines.slice(header + 1, header + 1 + report.runs.length);
    assert.deepEqual(
      rows.map((row) => row.split(/\s{2,}/)[0]),
      report.runs.map((run) => run.label),
    );
    const capped = report.runs[0]!;
    assert.ok(rows[0]!.includes(formatCount(capped.drops.total)) && capped.drops.total > 0, rows[0]);
    assert.ok(rows[0]!.includes(`${capped.longPool!.survived}/${capped.longPool!.wanted}`));
    assert.match(rows[2]!, /\d+(\.\d)? ms$/, 'the resize stall of the buckets row');
  });

  it('names the tunings that held the load: no drops, every flow answered, every pool connection alive', () => {
    assert.equal(report.runs[0]!.drops.total > 0, true, 'max=3000 dropped in the capture');
    assert.ok(
      lines.includes(
        'held the load (no drops, every flow answered, every pool connection alive): as is; buckets=131072',
      ),
      text,
    );
    const unanswered = { ...report, runs: [{ ...report.runs[1]!, successRatio: 0.999 }] };
    assert.match(renderLabText(unanswered), /no tuning held this load/, 'a flow not answered is not held');
    const lost = {
      ...report,
      runs: report.runs.map((run) => ({ ...run, longPool: { ...run.longPool!, survived: 49 } })),
    };
    assert.match(
      renderLabText(lost),
      /no tuning held this load: every one dropped or failed flows, or lost pool connections/,
    );
  });

  it('says how the hash was resized, and that each machine-wide value is back', () => {
    assert.match(
      text,
      /"buckets=131072": the hash went 262,144 → 131,072 buckets with [\d,]+ entries in [\d.]+ ms/,
    );
    assert.ok(lines.includes('machine-wide nf_conntrack_max is back at 262,144'), text);
    assert.ok(lines.includes('machine-wide nf_conntrack_buckets is back at 262,144'), text);
    const stuck = {
      ...report,
      globalChanges: [{ setting: 'max' as const, original: 262144, restored: false }],
    };
    assert.match(
      renderLabText(stuck),
      /machine-wide nf_conntrack_max could NOT be restored to 262144: set it by hand/,
    );
  });

  it('an interrupted run: its warnings and that the rows cover the part that ran', () => {
    const interrupted = renderLabText(capturedReport('report-interrupted'));
    assert.match(interrupted, /^ {2}! "as is" was interrupted after/m);
    assert.match(interrupted, /^ {2}! "as is": short-flows reached \d+\/s of the 50000\/s asked/m);
    assert.match(interrupted, /^interrupted: the rows above cover the part that ran$/m);
    assert.doesNotMatch(text, /interrupted/);
  });

  it("helpers: a helper entries column and what each tuning's helpers did, only when one assigned any", () => {
    const helpers = capturedReport('report-helpers');
    const [off, on] = helpers.runs;
    const helperLines = renderLabText(helpers).split('\n');
    const header = helperLines.find((line) => line.startsWith('tuning'))!;
    assert.match(header, /resize stall\s+helper entries$/);
    assert.match(
      helperLines.find((line) => line.startsWith('helpers=on'))!,
      new RegExp(`${formatCount(on!.helpers.entriesPeak)}$`),
    );
    assert.match(helperLines.find((line) => line.startsWith('helpers=off'))!, /\s0$/);
    assert.ok(
      on!.helpers.entriesPeak > 0 && off!.helpers.entriesPeak === 0,
      'the capture: helpers only where assigned',
    );
    assert.ok(
      helperLines.includes(
        `  "helpers=on": tftp on 53/udp, ftp on 8080/tcp: ${formatCount(on!.helpers.entriesPeak)} entries carried a helper at peak, 0 expectations set up (0 at once)`,
      ),
      helperLines.join('\n'),
    );
    assert.ok(!helperLines.some((line) => line.startsWith('  "helpers=off":')));
    assert.doesNotMatch(text, /helper/, 'no helper column or line without helpers');
  });

  it('a router topology says so under the first line; a single namespace says nothing', () => {
    const router = renderLabText(capturedReport('report-router')).split('\n');
    assert.match(
      router[1]!,
      /^ {2}topology: clients and servers in namespaces of their own .* router namespace whose table is measured/,
    );
    assert.doesNotMatch(text, /topology/);
  });

  it('a label is printed as written (text output is not markup)', () => {
    const hostile = { ...report, runs: [{ ...report.runs[1]!, label: '<x>' }] };
    assert.match(renderLabText(hostile), /^<x>\s/m);
    assert.match(renderLabText(hostile), /held the load .*: <x>$/m);
  });
});
