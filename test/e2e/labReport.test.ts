import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { LabReport } from '../../src/core/lab/labResult.js';
import { readUplotAssets } from '../../src/lab/reportAssets.js';
import { renderLabReportHtml } from '../../src/render/labReportHtml.js';
import { launchChromium } from '../support/chromium.js';
import { REPO_ROOT, fixture } from '../support/paths.js';

/**
 * The lab report as a user opens it: a file, offline, in Chromium, with the uPlot the build put
 * beside the dashboard. A label is markup (`--compare` is the user's text): it must stay text.
 */

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const HOSTILE_SUFFIX = ' <img src=x onerror=window.pwned=1></script>';
/** A 2 px line across a chart hundreds of pixels wide: far more than stray antialiasing would give. */
const MIN_SERIES_PIXELS = 300;
/** Antialiased edges blend a line's colour with the background: close enough counts. */
const COLOR_TOLERANCE = 40;

describe('lab report in Chromium', () => {
  it('opens offline, draws a series per tuning in both charts, sized to the page, labels as text', async () => {
    const report = JSON.parse(readFileSync(fixture('lab', 'lab-report.json'), 'utf8')) as LabReport;
    const first = report.runs[0]!;
    first.label += HOSTILE_SUFFIX;
    const directory = mkdtempSync(join(tmpdir(), 'ctdoctor-lab-report-'));
    const file = join(directory, 'lab-report.html');
    writeFileSync(file, renderLabReportHtml(report, await readUplotAssets()));
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));

      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction(() => document.body.dataset.chartsReady === '1', null, { timeout: 10_000 });

      const drawn = await page.evaluate(
        ({ tolerance }) =>
          window.ctdoctorLabReport!.charts.map((chart) => {
            const canvas = chart.ctx.canvas;
            const pixels = chart.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            const series = chart.series.slice(1).map((series, index) => {
              const stroke = (series.stroke as (u: typeof chart, i: number) => string)(chart, index + 1);
              const [r, g, b] = [1, 3, 5].map((at) => Number.parseInt(stroke.slice(at, at + 2), 16));
              let count = 0;
              for (let at = 0; at < pixels.length; at += 4)
                if (
                  pixels[at + 3]! > 200 &&
                  Math.abs(pixels[at]! - r!) +
                    Math.abs(pixels[at + 1]! - g!) +
                    Math.abs(pixels[at + 2]! - b!) <
                    tolerance
                )
                  count++;
              return { label: series.label, pixels: count };
            });
            const container = canvas.closest('.uplot')!.parentElement!;
            return { series, width: chart.width, containerWidth: container.clientWidth };
          }),
        { tolerance: COLOR_TOLERANCE },
      );
      assert.equal(await page.locator('canvas').count(), 2, 'two charts');
      const [entries, drops] = drawn;
      assert.deepEqual(
        entries!.series.map((series) => series.label),
        report.runs.flatMap((run) => [run.label, `${run.label} (live)`]),
        'entries and live entries per tuning (the capture has dumps in both runs)',
      );
      assert.deepEqual(
        drops!.series.map((series) => series.label),
        report.runs.map((run) => run.label),
      );
      for (const chart of drawn)
        for (const series of chart.series)
          assert.ok(
            series.pixels > MIN_SERIES_PIXELS,
            `"${series.label}" is drawn: ${series.pixels} pixels of its colour`,
          );
      for (const chart of drawn)
        assert.equal(chart.width, chart.containerWidth, 'a chart fills its container');

      // A narrow window: the charts follow it.
      await page.setViewportSize({ width: 500, height: 900 });
      await page.waitForFunction(() =>
        window.ctdoctorLabReport!.charts.every(
          (chart) => chart.width === chart.root.parentElement!.clientWidth && chart.width < 500,
        ),
      );

      const rows = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#comparison tbody tr')).map(
          (row) => row.querySelector('td')?.textContent,
        ),
      );
      assert.deepEqual(
        rows,
        report.runs.map((run) => run.label),
        'a row per tuning, the label as text',
      );
      assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
      assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined);
      assert.deepEqual(problems, [], 'no script errors and no CSP refusals');
      assert.deepEqual(
        requested.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')),
        [],
        'nothing fetched from a network',
      );

      await page.setViewportSize({ width: 1280, height: 900 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'lab-report.png'), fullPage: true });
    } finally {
      await browser?.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
