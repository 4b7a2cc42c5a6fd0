import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { TABLE_SCENARIOS } from '../../src/lab/tableScenarios.js';
import type { AnalysisReport } from '../../src/core/reports/analysisReport.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

describe('analyze on live tables', () => {
  before(requireKernelLab);

  for (const scenario of TABLE_SCENARIOS) {
    it(`names ${scenario.description} (procfs and netlink agree)`, async () => {
      await withLabNamespace(async (lab) => {
        await scenario.make(lab);
        const count = await lab.count();
        for (const source of ['procfs', 'netlink']) {
          const { result, json } = await runCliJson<AnalysisReport>([
            'analyze',
            '--netns',
            lab.name,
            '--source',
            source,
          ]);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(json.source.kind, source);
          assert.equal(json.malformed.count, 0);
          assert.ok(
            Math.abs(json.entries - count) <= 2,
            `${source}: ${json.entries} entries vs count ${count}`,
          );
          assert.equal(json.max, Number(await lab.readSysctl('nf_conntrack_max')));
          const findings = json.findings.filter((finding) => finding.kind !== 'unreplied-heavy');
          assert.deepEqual(
            findings.map((finding) => [finding.kind, finding.subject]),
            scenario.expected,
            `${source}: ${JSON.stringify(json.findings.map((f) => f.kind))}`,
          );
        }
      });
    });
  }

  it('reads IPv6 and IPv4 entries as the kernel prints them, the engine agreeing with the reference', async () => {
    await withLabNamespace(async (lab) => {
      // Inserted, not sent: lab traffic stays on 127.0.0.0/8. The kernel prints the IPv6 addresses
      // itself (procfs expanded, conntrack-tools compressed). The timeouts sit inside their
      // histogram buckets, not on a bound (60 s, 3600 s): the two reads below are a few hundred
      // milliseconds apart and the kernel's timers tick in between.
      const lines: string[] = [];
      for (let i = 0; i < 120; i++) {
        const client = `2001:db8::${(i % 40).toString(16)}`;
        lines.push(
          `-I -s ${client} -d 2001:db8:0:1::5 -p tcp --sport ${20000 + i} --dport 443 --state ESTABLISHED -t 3000`,
          `-I -s ${client} -d fd00::${i.toString(16)} -p udp --sport ${30000 + i} --dport 53 -t 100`,
          `-I -s ::ffff:10.0.0.${i} -d 2001:db8::ff -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id ${i} -t 30`,
          `-I -s 10.1.0.${i} -d 10.2.0.1 -p tcp --sport ${40000 + i} --dport 80 --state SYN_SENT -t 120`,
        );
      }
      const batch = join(mkdtempSync(join(tmpdir(), 'ctdoctor-v6-')), 'entries');
      writeFileSync(batch, `${lines.join('\n')}\n`);
      await lab.execChecked('conntrack', ['-R', batch]);
      const count = await lab.count();
      assert.ok(count >= 470, `inserted ${count} of 480`);
      for (const source of ['procfs', 'netlink']) {
        const args = ['analyze', '--netns', lab.name, '--source', source, '--top', '500', '--json'];
        const started = Date.now();
        const fast = await runCli(args);
        const reference = await runCli(args, { env: { CTDOCTOR_ENGINE: 'typescript' } });
        // A remaining time drops by at most the seconds between the reads, plus one for rounding.
        const toleranceSeconds = Math.ceil((Date.now() - started) / 1000) + 1;
        const [fastJson, referenceJson] = [fast, reference].map((run) => {
          assert.equal(run.code, 0, run.stderr);
          const { durationMs: _duration, engine, ...report } = JSON.parse(run.stdout) as AnalysisReport;
          return { engine, report };
        });
        assert.equal(fastJson!.engine, 'wasm');
        assert.equal(referenceJson!.engine, 'typescript');
        // Everything exactly, but remaining times, which tick between the reads.
        const [fastMeans, referenceMeans] = [fastJson!, referenceJson!].map(({ report }) =>
          report.signals.establishedPairs.map((pair) => {
            const mean = pair.meanRemainingSeconds;
            pair.meanRemainingSeconds = 0;
            return mean;
          }),
        );
        assert.deepEqual(fastJson!.report, referenceJson!.report, source);
        assert.equal(fastMeans!.length, referenceMeans!.length);
        for (const [i, mean] of fastMeans!.entries())
          assert.ok(
            Math.abs(mean - referenceMeans![i]!) <= toleranceSeconds,
            `${source}: ${mean} vs ${referenceMeans![i]} s, ${toleranceSeconds} s apart`,
          );
        assert.ok(fastMeans!.length > 0 && fastMeans!.every((mean) => mean > 2900 && mean <= 3000));
        assert.equal(fastJson!.report.malformed.count, 0);
        assert.ok(fastJson!.report.by.l3.ipv6! >= 350, JSON.stringify(fastJson!.report.by.l3));
        assert.ok(fastJson!.report.top.src.some((row) => row.key === '::ffff:10.0.0.1'));
      }
    });
  });

  it("uses the namespace's own timeouts in its advice", async () => {
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_tcp_timeout_time_wait', 90);
      await lab.runWorkload('tcp-churn', { count: 200, port: 8080 });
      const { json } = await runCliJson<AnalysisReport>(['analyze', '--netns', lab.name]);
      assert.equal(json.findings[0]?.evidence.timeoutSeconds, 90);
    });
  });
});
