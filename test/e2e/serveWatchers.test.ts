import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AnalysisReport } from '../../src/core/reports/analysisReport.js';
import { hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { promtoolProblems, scrape, startServe } from '../support/serve.js';
import { eventually } from '../support/eventually.js';

const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];
const OWN = 'netns="0",netns_name=""';

describe("serve's analysis worker and watchers as a user runs them", () => {
  it('exports the findings `analyze` makes of the same table, subjects only as asked, and passes promtool', async () => {
    const { json } = await runCliJson<AnalysisReport>([
      'analyze',
      fixture('proc-6.18-full', 'net', 'nf_conntrack'),
    ]);
    assert.ok(json.findings.length >= 2, 'the captured table has findings of two severities or more');
    const serve = await startServe([
      ...TREE,
      '--listen',
      '127.0.0.1:0',
      '--interval',
      '0.2',
      '--analyze-interval',
      '0.2',
      '--analyze-min-entries',
      '1',
      '--finding-subjects',
      '1',
    ]);
    try {
      await eventually('the analysis in the metrics', async () =>
        (await scrape(serve.url)).has(`ctdoctor_analysis_timestamp_seconds{${OWN}}`),
      );
      const samples = await scrape(serve.url);
      const counted = new Map<string, number>();
      for (const { kind, severity } of json.findings) {
        const key = `ctdoctor_findings{${OWN},kind="${kind}",severity="${severity}"}`;
        counted.set(key, (counted.get(key) ?? 0) + 1);
      }
      for (const [key, count] of counted) assert.equal(samples.get(key), count, key);
      const subjects = [...samples.keys()].filter((key) => key.startsWith('ctdoctor_finding_info'));
      const [first] = json.findings;
      assert.deepEqual(subjects, [
        `ctdoctor_finding_info{${OWN},kind="${first!.kind}",severity="${first!.severity}",subject="${first!.subject}"}`,
      ]);
      assert.equal(samples.get('ctdoctor_collector_success{collector="drift"}'), 1);
      // A --proc-root tree has no kernel log of its own: no such collector, rather than a failed one.
      assert.equal(samples.has('ctdoctor_collector_success{collector="kernel log"}'), false);
      assert.equal(promtoolProblems(await (await fetch(`${serve.url}/metrics`)).text()), '');
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });

  it('sees a changed max at the next sample, and a changed timeout only at the next --drift-timeouts-interval', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ctdoctor-drift-e2e-'));
    const tree = join(dir, 'proc');
    await cp(fixture('proc-6.18-full'), tree, { recursive: true });
    const sysctl = (name: string) => join(tree, 'sys/net/netfilter', name);
    const serveEvery = (timeoutsSeconds: string) =>
      startServe([
        ...['--proc-root', tree, '--sys-root', fixture('sys-empty'), '--listen', '127.0.0.1:0'],
        ...['--interval', '0.2', '--analyze-interval', '0', '--drift-timeouts-interval', timeoutsSeconds],
      ]);
    try {
      const hourly = await serveEvery('3600');
      try {
        await writeFile(sysctl('nf_conntrack_udp_timeout'), '77\n');
        await writeFile(sysctl('nf_conntrack_max'), '999\n');
        await eventually('the max drift line', () => hourly.stderr().includes('drift: nf_conntrack_max'));
        const sampledAt = async () =>
          (await scrape(hourly.url)).get('ctdoctor_sample_timestamp_seconds') ?? 0;
        const after = await sampledAt();
        await eventually('five more samples', async () => (await sampledAt()) >= after + 1);
        // Read only at the first sample: the change waits for the next reading, an hour on.
        assert.doesNotMatch(hourly.stderr(), /nf_conntrack_udp_timeout/);
      } finally {
        assert.equal(await hourly.stop(), 0);
      }
      const everySample = await serveEvery('0.2');
      try {
        await eventually('a first sample', () => everySample.stderr().includes('listening on'));
        await writeFile(sysctl('nf_conntrack_udp_timeout'), '78\n');
        await eventually('the timeout drift line', () =>
          everySample.stderr().includes('drift: nf_conntrack_udp_timeout of netns 0 changed 77 → 78'),
        );
      } finally {
        assert.equal(await everySample.stop(), 0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const [args, message] of [
    [['--drift-timeouts-interval', '0'], /--drift-timeouts-interval must be from 0.1 s to/],
    [['--finding-subjects', '51'], /--finding-subjects 51: must be a whole number from 0 to 50/],
    [['--analyze-interval', '25h'], /--analyze-interval must be from 0 s? to/],
    [['--analyze-min-entries', '0'], /--analyze-min-entries 0: must be a whole number from 1/],
  ] as const) {
    it(`refuses ${args.join(' ')} in one line`, async () => {
      const result = await runCli(['serve', ...TREE, ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(hasStackTrace(result.stderr), false);
    });
  }
});
