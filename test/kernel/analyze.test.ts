import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { TABLE_SCENARIOS } from '../../src/lab/tableScenarios.js';
import type { AnalysisReport } from '../../src/measure/analysisReport.js';
import { runCliJson } from '../support/cli.js';
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

  it("uses the namespace's own timeouts in its advice", async () => {
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_tcp_timeout_time_wait', 90);
      await lab.runWorkload('tcp-churn', { count: 200, port: 8080 });
      const { json } = await runCliJson<AnalysisReport>(['analyze', '--netns', lab.name]);
      assert.equal(json.findings[0]?.evidence.timeoutSeconds, 90);
    });
  });
});
