import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LabReport } from '../../../src/core/lab/labResult.js';
import { type LabReportAssets, renderLabReportHtml } from '../../../src/render/labReportHtml.js';
import { REPO_ROOT, fixture } from '../../support/paths.js';

/** `--compare` text is the user's: markup, and a string that ends a script element. */
const HOSTILE_LABEL = 'max=3000 <img src=x onerror=alert(1)> </script><script>alert(2)</script>';

const UPLOT = join(REPO_ROOT, 'node_modules', 'uplot', 'dist');
const uplotAssets: LabReportAssets = {
  uplotJs: readFileSync(join(UPLOT, 'uPlot.iife.min.js'), 'utf8'),
  uplotCss: readFileSync(join(UPLOT, 'uPlot.min.css'), 'utf8'),
};

function capturedReport(): LabReport {
  return JSON.parse(readFileSync(fixture('lab', 'lab-report.json'), 'utf8')) as LabReport;
}

function hostileReport(): LabReport {
  const report = capturedReport();
  const first = report.runs[0]!;
  first.label = HOSTILE_LABEL;
  first.tuning.label = HOSTILE_LABEL;
  report.scenario.texts = [`mixed ${HOSTILE_LABEL}`];
  report.warnings = [`"${HOSTILE_LABEL}": a warning that quotes the label`];
  return report;
}

/** The inside of the first element that starts with `opening`, up to its closing tag. */
function elementText(page: string, opening: string, closing: string): string {
  const start = page.indexOf(opening);
  assert.ok(start >= 0, `the page has ${opening}`);
  return page.slice(start + opening.length, page.indexOf(closing, start));
}

const comparisonRows = (page: string) =>
  [...elementText(page, '<table id="comparison">', '</table>').matchAll(/<tr>(.*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[dh]>(.*?)<\/t[dh]>/g)].map((cell) => cell[1]),
  );

describe('lab report HTML', () => {
  it('a hostile --compare label is text in the page and the same string in its JSON', () => {
    const report = hostileReport();
    const page = renderLabReportHtml(report, uplotAssets);
    assert.ok(!page.includes('<img'), 'no element made of the label');
    assert.ok(!page.includes('alert(2)</script>'), 'the label did not end a script');
    // The page's own three scripts (data, uPlot, charts) and no other.
    assert.equal(page.match(/<script/g)?.length, 3);
    assert.equal(page.match(/<\/script/gi)?.length, 3);
    assert.ok(page.includes('max=3000 &lt;img src=x onerror=alert(1)&gt; &lt;/script&gt;'));
    const json = elementText(page, '<script type="application/json" id="lab-report">', '</script>');
    assert.ok(!json.includes('<'), 'no < left in the JSON inside <script>');
    assert.ok(json.includes('\\u003c/script\\u003e'));
    assert.deepEqual(JSON.parse(json), report, 'the escaped JSON reads back as the report');
  });

  it('escapes an inlined asset that holds </script or </style, so it cannot end its element', () => {
    const page = renderLabReportHtml(capturedReport(), {
      uplotJs: 'var uPlot = "</script><b>out</b>";',
      uplotCss: '/* </style><b>out</b> */',
    });
    assert.equal(page.match(/<\/script/gi)?.length, 3);
    assert.equal(page.match(/<\/style/gi)?.length, 2);
    assert.ok(page.includes('var uPlot = "<\\/script><b>out</b>";'), 'the same string to JavaScript');
  });

  it('names nothing on the network: no http(s) src or href, uPlot inlined, the network shut by CSP', () => {
    const page = renderLabReportHtml(capturedReport(), uplotAssets);
    assert.deepEqual(page.match(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//gi), null);
    assert.deepEqual(page.match(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=(?!"data:)/gi), null);
    assert.ok(page.includes(uplotAssets.uplotJs) && page.includes(uplotAssets.uplotCss));
    assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  });

  it('one comparison row per tuning, in the order run, with the captured figures', () => {
    const report = capturedReport();
    const rows = comparisonRows(renderLabReportHtml(report, uplotAssets));
    assert.equal(rows.length, report.runs.length + 1, 'a heading row and a row per run');
    assert.deepEqual(
      rows.slice(1).map((row) => row[0]),
      report.runs.map((run) => run.label),
    );
    const [heading, tight, roomy] = rows;
    const column = (name: string) => heading!.indexOf(name);
    assert.equal(tight![column('drops')], '190');
    assert.equal(tight![column('failed connects')], '19');
    assert.equal(tight![column('p99 set-up')], '1052 ms');
    assert.equal(tight![column('long pool alive')], '50/50');
    assert.equal(tight![column('memory at peak')], '750 KiB');
    assert.equal(roomy![column('drops')], '0');
    assert.equal(roomy![column('success')], '100%');
    assert.equal(roomy![column('resize stall')], '–');
  });

  it('helper columns (what was assigned, entries, expectations) only when a tuning assigned helpers', () => {
    const helpers = JSON.parse(readFileSync(fixture('lab', 'report-helpers.json'), 'utf8')) as LabReport;
    const [heading, off, on] = comparisonRows(renderLabReportHtml(helpers, uplotAssets));
    assert.deepEqual(heading!.slice(-3), ['helpers', 'helper entries', 'expectations']);
    assert.deepEqual(off!.slice(-3), ['–', '0', '0']);
    assert.deepEqual(on!.slice(-3), [
      'tftp on 53/udp, ftp on 8080/tcp',
      helpers.runs[1]!.helpers.entriesPeak.toLocaleString('en-US'),
      '0',
    ]);
    const [plainHeading] = comparisonRows(renderLabReportHtml(capturedReport(), uplotAssets));
    assert.ok(!plainHeading!.includes('helpers'));
  });

  it('what ran: scenario, seconds, kernel, and each lab timeout beside the kernel default', () => {
    const page = renderLabReportHtml(capturedReport(), uplotAssets);
    assert.match(page, /<dt>scenario<\/dt><dd>mixed<\/dd>/);
    assert.match(page, /<dt>per tuning<\/dt><dd>12 s<\/dd>/);
    assert.match(page, /<dt>topology<\/dt><dd>single: clients and servers in one namespace/);
    const routerReport = JSON.parse(readFileSync(fixture('lab', 'report-router.json'), 'utf8')) as LabReport;
    const router = renderLabReportHtml(routerReport, uplotAssets);
    assert.match(router, /<dt>topology<\/dt><dd>router: clients and servers in namespaces of their own/);
    assert.match(page, /<dt>kernel<\/dt><dd>6\.18\.44-fc-v1098<\/dd>/);
    assert.match(page, /<tr><td>tcp_timeout_time_wait<\/td><td>5 s<\/td><td>120 s<\/td><\/tr>/);
  });

  it('warns of a machine-wide value not put back and of an interrupted run', () => {
    const report = capturedReport();
    const quiet = renderLabReportHtml(report, uplotAssets);
    assert.ok(!quiet.includes('<section class="warnings">'), 'no warnings section when all is well');
    report.globalChanges = [{ setting: 'max', original: 262144, restored: false }];
    report.interrupted = true;
    const page = renderLabReportHtml(report, uplotAssets);
    assert.match(page, /could NOT be restored to 262144: set it by hand/);
    assert.match(page, /interrupted: the rows above cover the part that ran/);
  });
});
