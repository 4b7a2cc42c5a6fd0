import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { scenario } from '../../src/lab/tableScenarios.js';
import { runCli } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { scrape, startServe } from '../support/serve.js';
import { eventually } from '../support/eventually.js';
import { nearlyFill, whileDropping } from '../support/tableFullLab.js';

const labels = (lab: LabNamespace) => `netns="${lab.inode}",netns_name="${lab.name}"`;

/** A serve for one test, stopped (and its exit checked) whatever the test does. */
async function withServe<T>(
  args: string[],
  body: (serve: Awaited<ReturnType<typeof startServe>>) => Promise<T>,
) {
  const serve = await startServe(['--listen', '127.0.0.1:0', ...args]);
  try {
    return await body(serve);
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
}

describe("serve's watchers on the real kernel", () => {
  before(requireKernelLab);

  it("counts the kernel's table-full messages for the namespace that dropped", async () => {
    await withLabNamespace(async (full) => {
      await nearlyFill(full);
      await withServe(['--interval', '1', '--analyze-interval', '0'], async (serve) => {
        const series = `ctdoctor_conntrack_table_full_messages_total{${labels(full)}}`;
        await eventually(
          'the namespace in the metrics',
          async () => (await scrape(serve.url)).get(series) === 0,
        );
        await whileDropping(full, 30, async () => {
          // net_ratelimit lets 10 messages through per 5 s, shared by every network message: ≥ 1.
          await eventually(
            'a table-full message counted for the namespace',
            async () => ((await scrape(serve.url)).get(series) ?? 0) >= 1,
            20_000,
          );
          const samples = await scrape(serve.url);
          assert.ok((samples.get(`ctdoctor_conntrack_stat_drop_total{${labels(full)}}`) ?? 0) >= 1);
          assert.equal(samples.get(`ctdoctor_conntrack_verdict{${labels(full)}}`), 2);
          assert.equal(samples.get('ctdoctor_collector_success{collector="kernel log"}'), 1);
        });
      });
    });
  });

  it('reports a timeout changed inside a namespace, old → new, and who changed it when it can tell', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ctdoctor-drift-'));
    let tuner: ChildProcess | undefined;
    try {
      await withLabNamespace(async (lab) => {
        const setting = 'nf_conntrack_udp_timeout';
        const initial = Number(await lab.readSysctl(setting));
        await withServe(
          // The timeouts read at every sample: each change is seen at the next one.
          [
            ...['--interval', '0.5', '--drift-timeouts-interval', '0.5'],
            ...['--analyze-interval', '0', '--state-dir', stateDir],
          ],
          async (serve) => {
            const events = `ctdoctor_drift_events_total{${labels(lab)},setting="${setting}"}`;
            const line = (from: number, to: number) =>
              `drift: ${setting} of netns ${lab.inode} (${lab.name}) changed ${from} → ${to}, by `;
            const whoAfter = (from: number, to: number) => {
              const text = serve.stderr();
              const at = text.indexOf(line(from, to));
              return at < 0 ? undefined : text.slice(at + line(from, to).length).split('\n')[0];
            };
            // The namespace is in a sample: its baseline was read in that sample (a new namespace first).
            await eventually('the namespace in the metrics', async () =>
              (await scrape(serve.url)).has(`ctdoctor_conntrack_entries{${labels(lab)}}`),
            );

            await lab.setSysctl(setting, initial + 15);
            await eventually(
              'the first drift event',
              async () => whoAfter(initial, initial + 15) !== undefined,
            );
            assert.equal(whoAfter(initial, initial + 15), 'an unknown writer'); // sysctl(8) had exited
            await eventually('the drift counter', async () => (await scrape(serve.url)).get(events) === 1);

            // A running process whose comm is a known tuner, started just before the change.
            const bin = join(stateDir, 'tuned');
            await copyFile('/bin/sleep', bin);
            tuner = spawn(bin, ['60'], { stdio: 'ignore' });
            await lab.setSysctl(setting, initial + 16);
            await eventually(
              'the tuner drift event',
              async () => whoAfter(initial + 15, initial + 16) !== undefined,
            );
            assert.match(
              whoAfter(initial + 15, initial + 16)!,
              new RegExp(`^tuned \\(pid ${tuner.pid}, started \\d+ s before\\)$`),
            );
            tuner.kill();

            // ctdoctor's own change, journaled in the state dir serve reads.
            const applied = await runCli([
              'timeouts',
              '--netns',
              lab.name,
              '--set',
              `udp_timeout=${initial + 17}`,
              '--apply',
              '--state-dir',
              stateDir,
            ]);
            assert.equal(applied.code, 0, applied.stderr);
            await eventually(
              'the journaled drift event',
              async () => whoAfter(initial + 16, initial + 17) !== undefined,
            );
            assert.match(
              whoAfter(initial + 16, initial + 17)!,
              /^ctdoctor timeouts.* \(journal \d{8}T\d{6}Z-[0-9a-f]{4}\)$/,
            );
            // ctdoctor's own change is journaled, not drift: listed (/api/drift), not counted.
            assert.equal((await scrape(serve.url)).get(events), 2);
            const drift = (await (await fetch(`${serve.url}/api/drift`)).json()) as {
              events: { to: number; byCtdoctor: string | null }[];
            };
            assert.deepEqual(
              drift.events.filter((event) => event.to >= initial + 15).map((event) => event.byCtdoctor),
              [null, null, 'timeouts'],
            );
          },
        );
      });
    } finally {
      tuner?.kill();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('analyses a scanned namespace in the worker and exports the finding kind and a verdict', async () => {
    await withLabNamespace(async (lab) => {
      await scenario('scan').make(lab);
      await withServe(
        [
          '--interval',
          '1',
          '--analyze-interval',
          '1',
          '--analyze-min-entries',
          '1',
          '--finding-subjects',
          '5',
        ],
        async (serve) => {
          const finding = `ctdoctor_findings{${labels(lab)},kind="port-scan",severity=`;
          await eventually(
            'the port-scan finding in the metrics',
            async () => [...(await scrape(serve.url)).keys()].some((key) => key.startsWith(finding)),
            30_000,
          );
          const samples = await scrape(serve.url);
          const [subject] = scenario('scan').expected.map(([, s]) => s);
          assert.ok(
            [...samples.keys()].some(
              (key) =>
                key.startsWith(`ctdoctor_finding_info{${labels(lab)},kind="port-scan",`) &&
                key.includes(`subject="${subject}"`),
            ),
            [...samples.keys()].filter((key) => key.startsWith('ctdoctor_finding')).join('\n'),
          );
          assert.ok((samples.get(`ctdoctor_analysis_duration_seconds{${labels(lab)}}`) ?? 0) > 0);
          const analysedAt = samples.get(`ctdoctor_analysis_timestamp_seconds{${labels(lab)}}`) ?? 0;
          assert.ok(Math.abs(analysedAt - Date.now() / 1000) < 60, String(analysedAt));
          assert.ok(samples.has(`ctdoctor_conntrack_verdict{${labels(lab)}}`));
        },
      );
    });
  });
});
