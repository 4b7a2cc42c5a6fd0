import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { NamespaceStatus, ServeStatusBody } from '../../src/daemon/apiStatus.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { launchChromium } from '../support/chromium.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { REPO_ROOT } from '../support/paths.js';
import { startServe } from '../support/serve.js';

/**
 * The dashboard of a real serve watching a real namespace, in Chromium. The namespace's name is
 * markup, as a hostile or careless `ip netns add` can make it: the page must show it as text.
 */

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const HOSTILE_PREFIX = 'ctd<img src=x onerror=window.pwned=1>';
const ENTRIES = 300;

/** What the dashboard shows of a namespace, formatted as the page formats it. */
function shown(namespace: NamespaceStatus): Record<string, string> {
  const loss = namespace.lossPerSecond;
  const sum = loss === null ? null : loss.drop + loss.early_drop + loss.insert_failed;
  return {
    entries: String(namespace.entries),
    usage: `${(namespace.usage * 100).toFixed(1)}%`,
    loss: sum === null ? '–' : sum >= 10 || Number.isInteger(sum) ? String(Math.round(sum)) : sum.toFixed(1),
    verdict: namespace.verdict,
  };
}

/** The page's table and its sample time, read at once. */
function readTable(page: Page) {
  return page.evaluate(() => ({
    takenAtMs: Number(document.body.dataset.takenAtMs),
    rows: Array.from(document.querySelectorAll('#namespaces tbody tr')).map((row) => ({
      netns: Number((row as HTMLElement).dataset.netns),
      cells: Object.fromEntries(
        Array.from(row.querySelectorAll('td')).map((cell) => [
          cell.dataset.field ?? '',
          cell.textContent ?? '',
        ]),
      ),
    })),
  }));
}

describe('serve dashboard in Chromium', () => {
  before(requireKernelLab);

  it('charts a filled lab namespace, shows the numbers /api/status has, and shows its name as text', async (t) => {
    await withLabNamespace(async (lab) => {
      await lab.runWorkload('udp-spread', { count: ENTRIES, port: 9000 });
      const serve = await startServe(['--listen', '127.0.0.1:0', '--interval', '1']);
      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));

        await page.goto(`${serve.url}/`);
        await page.waitForFunction(() => performance.getEntriesByName('ctdoctor-first-chart').length > 0);
        const firstChartMs = await page.evaluate(
          () => performance.getEntriesByName('ctdoctor-first-chart')[0]!.startTime,
        );
        // What the browser fetched until then: the page and its assets, and the API's first answers.
        const fetched = await page.evaluate(() =>
          [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map(
            (entry) => ({
              path: new URL(entry.name).pathname,
              bytes: (entry as PerformanceResourceTiming).encodedBodySize,
            }),
          ),
        );
        const bytesOf = (api: boolean) =>
          fetched
            .filter((entry) => entry.path.startsWith('/api/') === api)
            .reduce((sum, entry) => sum + entry.bytes, 0);

        // Pick the lab's row: its charts replace the default (the worst namespace's).
        const row = page.locator(`#namespaces tbody tr[data-netns="${lab.inode}"]`);
        await row.waitFor();
        assert.equal(await row.locator('td[data-field="name"]').textContent(), lab.name);
        await row.click();
        await page.waitForFunction(
          ({ entries }) => {
            const data = window.ctdoctorDashboard?.charts.entries?.data;
            const values = (data?.[1] ?? []).filter((value) => value !== null);
            return values.length >= 3 && values.at(-1) === entries;
          },
          { entries: ENTRIES },
          { timeout: 20_000 },
        );
        const charts = await page.evaluate(() => {
          const { usage, entries, loss } = window.ctdoctorDashboard!.charts;
          return { usage: usage!.data, entries: entries!.data, loss: loss!.data };
        });
        assert.ok(charts.entries[0]!.length >= 3, 'a time axis with points');
        assert.equal(charts.entries[1]!.at(-1), ENTRIES);
        const max = charts.entries[2]!.at(-1)!;
        assert.ok(max > 0);
        assert.ok(Math.abs(charts.usage[1]!.at(-1)! - (100 * ENTRIES) / max) < 1e-9);
        assert.equal(charts.loss.length, 4, 'time and drop, early_drop, insert_failed');
        assert.ok(
          charts.loss[1]!.some((value) => value === 0),
          'loss rates are drawn (zero here)',
        );

        // The table against /api/status of the same sample. The page refreshes once per interval plus
        // its own requests, so it may show the sample before the one the test read: wait (up to two
        // intervals) for the page to reach it, and read both again if serve moved on meanwhile.
        let matched = false;
        for (let attempt = 0; attempt < 10 && !matched; attempt++) {
          const status = (await (await fetch(`${serve.url}/api/status`)).json()) as ServeStatusBody;
          let table = await readTable(page);
          for (let wait = 0; wait < 20 && table.takenAtMs < status.takenAtMs; wait++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            table = await readTable(page);
          }
          if (table.takenAtMs !== status.takenAtMs) continue;
          matched = true;
          assert.equal(table.rows.length, status.namespaces.length);
          for (const namespace of status.namespaces) {
            const onPage = table.rows.find((r) => r.netns === namespace.netns);
            assert.ok(onPage, `netns ${namespace.netns} has a row`);
            const { name: _name, netns: _netns, ...cells } = onPage.cells;
            assert.deepEqual(cells, shown(namespace), `netns ${namespace.netns}`);
          }
          const summary = await page.evaluate(() =>
            Object.fromEntries(
              Array.from(document.querySelectorAll<HTMLElement>('#summary [data-field]')).map((element) => [
                element.dataset.field,
                element.textContent,
              ]),
            ),
          );
          const mine = status.namespaces.find((namespace) => namespace.netns === lab.inode)!;
          assert.equal(summary.name, lab.name);
          assert.equal(summary.entries, String(ENTRIES));
          assert.equal(summary.usage, shown(mine).usage);
          assert.equal(summary.max, String(mine.max));
        }
        assert.ok(matched, 'the page never showed the sample /api/status had');

        // The name was text: no element was made of it, and its handler never ran.
        assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
        assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined);
        assert.deepEqual(problems, [], 'no script errors and no CSP refusals');

        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'serve-dashboard.png'), fullPage: true });
        assert.ok(bytesOf(false) > 50_000, 'uPlot alone is 51 KB: the sizes were read');
        t.diagnostic(
          `dashboard: page and assets ${bytesOf(false)} B, first API answers ${bytesOf(true)} B (${fetched.length} requests); first chart ${firstChartMs.toFixed(0)} ms after navigation`,
        );
      } finally {
        await browser?.close();
        assert.equal(await serve.stop(), 0);
      }
    }, HOSTILE_PREFIX);
  });
});
